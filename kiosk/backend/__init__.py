"""The kiosk side of the window intake backend link: signed client, durable outbox, sender, tickets."""
