"""Second-generation ID card readers speaking the SAM_V serial protocol (frame AA AA AA 96 69 …)."""
