"""Code tables printed on the card: sex (GB/T 2261.1-2003) and nation (GB 3304)."""

SEX = {"0": ("未知的性别", "unknown"), "1": ("男", "male"), "2": ("女", "female"), "9": ("未说明的性别", "unspecified")}

_NATIONS = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 "
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
NATION = {f"{i:02d}": name for i, name in enumerate(_NATIONS, start=1)} | {"97": "其他", "98": "外国血统"}


def sex_text(code: str) -> str:
    """Codes other than 1/2 are 'unknown', never silently 女."""
    return SEX.get(code, SEX["0"])[0]


def nation_text(code: str) -> str:
    """An unknown code is shown as the code itself."""
    return NATION.get(code, code)
