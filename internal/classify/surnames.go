package classify

// commonSurnames are the most common Chinese surnames (the ~100 of the
// national surveys, plus the next most frequent, 254 in all); a 2–4 character
// Han value starting with one is a strong name match.
const commonSurnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"

// compoundSurnames are two-character surnames.
var compoundSurnames = [...]string{"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "申屠", "澹台", "呼延", "百里", "东郭", "闻人", "万俟", "钟离", "拓跋", "太史", "公冶", "濮阳", "淳于", "单于"}

// surnameBits is a bit set over the CJK Unified Ideographs block
// (U+4E00–U+9FFF) marking commonSurnames.
var surnameBits = func() (b [(0x9FFF - 0x4E00 + 64) / 64]uint64) {
	for _, r := range commonSurnames {
		i := r - 0x4E00
		b[i/64] |= 1 << (i % 64)
	}
	return b
}()

var compoundSet = func() map[[2]rune]bool {
	m := make(map[[2]rune]bool, len(compoundSurnames))
	for _, s := range compoundSurnames {
		r := []rune(s)
		m[[2]rune{r[0], r[1]}] = true
	}
	return m
}()

// isCommonSurname reports whether r is in commonSurnames.
func isCommonSurname(r rune) bool {
	if r < 0x4E00 || r > 0x9FFF {
		return false
	}
	i := r - 0x4E00
	return surnameBits[i/64]&(1<<(i%64)) != 0
}

func isCompoundSurname(a, b rune) bool { return compoundSet[[2]rune{a, b}] }
