package synth

// Word tables the value generators draw from. All are read-only.

// weighted is a string with a relative frequency and its pinyin (for
// e-mail local parts).
type weighted struct {
	S      string
	Pinyin string
	W      int // relative weight
}

// surnames are common Chinese surnames weighted roughly by their share of
// the population (per ten thousand), with a few compound surnames.
var surnames = [...]weighted{
	{"王", "wang", 710}, {"李", "li", 700}, {"张", "zhang", 670}, {"刘", "liu", 540}, {"陈", "chen", 450},
	{"杨", "yang", 310}, {"黄", "huang", 220}, {"赵", "zhao", 200}, {"吴", "wu", 190}, {"周", "zhou", 190},
	{"徐", "xu", 140}, {"孙", "sun", 140}, {"马", "ma", 120}, {"朱", "zhu", 120}, {"胡", "hu", 110},
	{"郭", "guo", 110}, {"何", "he", 100}, {"高", "gao", 100}, {"林", "lin", 100}, {"罗", "luo", 90},
	{"郑", "zheng", 90}, {"梁", "liang", 80}, {"谢", "xie", 70}, {"宋", "song", 60}, {"唐", "tang", 60},
	{"许", "xu", 60}, {"韩", "han", 60}, {"冯", "feng", 60}, {"邓", "deng", 60}, {"曹", "cao", 50},
	{"彭", "peng", 50}, {"曾", "zeng", 50}, {"肖", "xiao", 50}, {"田", "tian", 50}, {"董", "dong", 50},
	{"袁", "yuan", 40}, {"潘", "pan", 40}, {"于", "yu", 40}, {"蒋", "jiang", 40}, {"蔡", "cai", 40},
	{"余", "yu", 40}, {"杜", "du", 40}, {"叶", "ye", 40}, {"程", "cheng", 40}, {"苏", "su", 30},
	{"魏", "wei", 30}, {"吕", "lv", 30}, {"丁", "ding", 30}, {"任", "ren", 30}, {"沈", "shen", 30},
	{"姚", "yao", 30}, {"卢", "lu", 30}, {"姜", "jiang", 30}, {"崔", "cui", 30}, {"钟", "zhong", 30},
	{"谭", "tan", 30}, {"陆", "lu", 30}, {"汪", "wang", 30}, {"范", "fan", 30}, {"金", "jin", 30},
	{"石", "shi", 20}, {"廖", "liao", 20}, {"贾", "jia", 20}, {"夏", "xia", 20}, {"韦", "wei", 20},
	{"付", "fu", 20}, {"方", "fang", 20}, {"白", "bai", 20}, {"邹", "zou", 20}, {"孟", "meng", 20},
	{"熊", "xiong", 20}, {"秦", "qin", 20}, {"邱", "qiu", 20}, {"江", "jiang", 20}, {"尹", "yin", 20},
	{"薛", "xue", 20}, {"闫", "yan", 20}, {"段", "duan", 20}, {"雷", "lei", 20}, {"侯", "hou", 20},
	{"龙", "long", 20}, {"史", "shi", 20}, {"陶", "tao", 20}, {"黎", "li", 20}, {"贺", "he", 20},
	{"顾", "gu", 20}, {"毛", "mao", 20}, {"郝", "hao", 20}, {"龚", "gong", 20}, {"邵", "shao", 20},
	{"万", "wan", 10}, {"钱", "qian", 10}, {"严", "yan", 10}, {"覃", "qin", 10}, {"武", "wu", 10},
	{"戴", "dai", 10}, {"莫", "mo", 10}, {"孔", "kong", 10}, {"向", "xiang", 10}, {"汤", "tang", 10},
	{"欧阳", "ouyang", 5}, {"司马", "sima", 2}, {"诸葛", "zhuge", 2}, {"上官", "shangguan", 2},
}

// givenChars are characters common in Chinese given names.
var givenChars = [...]weighted{
	{"伟", "wei", 1}, {"芳", "fang", 1}, {"娜", "na", 1}, {"敏", "min", 1}, {"静", "jing", 1},
	{"丽", "li", 1}, {"强", "qiang", 1}, {"磊", "lei", 1}, {"军", "jun", 1}, {"洋", "yang", 1},
	{"勇", "yong", 1}, {"艳", "yan", 1}, {"杰", "jie", 1}, {"娟", "juan", 1}, {"涛", "tao", 1},
	{"明", "ming", 1}, {"超", "chao", 1}, {"秀", "xiu", 1}, {"霞", "xia", 1}, {"平", "ping", 1},
	{"刚", "gang", 1}, {"桂", "gui", 1}, {"英", "ying", 1}, {"华", "hua", 1}, {"建", "jian", 1},
	{"国", "guo", 1}, {"文", "wen", 1}, {"辉", "hui", 1}, {"玲", "ling", 1}, {"婷", "ting", 1},
	{"雪", "xue", 1}, {"梅", "mei", 1}, {"鑫", "xin", 1}, {"斌", "bin", 1}, {"宇", "yu", 1},
	{"浩", "hao", 1}, {"凯", "kai", 1}, {"鹏", "peng", 1}, {"俊", "jun", 1}, {"帆", "fan", 1},
	{"欣", "xin", 1}, {"怡", "yi", 1}, {"佳", "jia", 1}, {"琳", "lin", 1}, {"晨", "chen", 1},
	{"阳", "yang", 1}, {"海", "hai", 1}, {"波", "bo", 1}, {"峰", "feng", 1}, {"红", "hong", 1},
	{"林", "lin", 1}, {"志", "zhi", 1}, {"春", "chun", 1}, {"燕", "yan", 1}, {"莉", "li", 1},
	{"子", "zi", 1}, {"涵", "han", 1}, {"轩", "xuan", 1}, {"睿", "rui", 1}, {"博", "bo", 1},
	{"嘉", "jia", 1}, {"晓", "xiao", 1}, {"东", "dong", 1}, {"亮", "liang", 1}, {"成", "cheng", 1},
	{"慧", "hui", 1}, {"颖", "ying", 1}, {"倩", "qian", 1}, {"思", "si", 1}, {"雨", "yu", 1},
	{"泽", "ze", 1}, {"宁", "ning", 1}, {"瑶", "yao", 1}, {"然", "ran", 1}, {"梓", "zi", 1},
	{"萱", "xuan", 1}, {"一", "yi", 1}, {"诺", "nuo", 1}, {"天", "tian", 1}, {"翔", "xiang", 1},
}

var englishFirst = [...]string{
	"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
	"David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
	"Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Emma", "Anthony", "Olivia", "Mark", "Sophie",
	"Oliver", "Charlotte", "Lukas", "Hannah", "Pierre", "Camille", "Javier", "Lucia", "Daan", "Sanne",
}

var englishLast = [...]string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White",
	"Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green",
	"Müller", "Schmidt", "Schneider", "Dubois", "Lefebvre", "Fernández", "López", "de Vries", "Jansen", "O'Brien",
}

var roads = [...]string{
	"人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "文化路", "胜利路", "长江路", "黄河路",
	"青年路", "学府路", "科技路", "幸福路", "朝阳路", "东风路", "延安路", "南京路", "北京路", "滨河路",
	"光明街", "工业大道", "世纪大道", "复兴路", "团结路", "跃进路", "花园街", "体育路", "迎宾大道", "民主路",
}

var estates = [...]string{
	"阳光花园", "锦绣家园", "翠苑小区", "金色港湾", "幸福里", "华润城", "万科城", "碧桂园", "绿地新都会", "世纪新城",
	"怡景花园", "书香门第", "丽景湾", "紫金苑", "东方明珠苑", "龙湖天街", "中海国际社区", "保利花园", "恒大名都", "融创壹号院",
}

var usStreets = [...]string{
	"Oak Street", "Maple Avenue", "Main Street", "Cedar Lane", "Pine Road", "Elm Street", "Washington Blvd",
	"Lake Drive", "Hillcrest Road", "Sunset Boulevard", "Park Avenue", "River Road", "High Street", "Church Lane",
}

var usCities = [...]struct{ City, State, ZIP string }{
	{"Springfield", "IL", "62704"}, {"Austin", "TX", "78701"}, {"Seattle", "WA", "98101"}, {"Denver", "CO", "80202"},
	{"Boston", "MA", "02108"}, {"Portland", "OR", "97201"}, {"Madison", "WI", "53703"}, {"Columbus", "OH", "43215"},
	{"San Jose", "CA", "95113"}, {"Raleigh", "NC", "27601"}, {"Atlanta", "GA", "30303"}, {"Phoenix", "AZ", "85004"},
}

var ukTowns = [...]struct{ Town, Postcode string }{
	{"London", "SW1A 1AA"}, {"Manchester", "M1 1AE"}, {"Leeds", "LS1 4DY"}, {"Bristol", "BS1 5TR"},
	{"Edinburgh", "EH1 1YZ"}, {"Cardiff", "CF10 1EP"}, {"Oxford", "OX1 2JD"}, {"York", "YO1 7HH"},
}

var emailDomains = [...]string{
	"163.com", "126.com", "qq.com", "sina.com", "gmail.com", "outlook.com", "foxmail.com", "139.com",
	"hotmail.com", "yahoo.com", "sohu.com", "aliyun.com", "example-corp.cn", "mail.example.org",
}

// diagnoses pair a Chinese diagnosis with its ICD-10 code and English name.
var diagnoses = [...]struct{ ZH, ICD, EN string }{
	{"高血压", "I10", "Essential hypertension"},
	{"2型糖尿病", "E11.9", "Type 2 diabetes mellitus"},
	{"冠心病", "I25.1", "Coronary artery disease"},
	{"慢性胃炎", "K29.5", "Chronic gastritis"},
	{"支气管哮喘", "J45.9", "Asthma"},
	{"抑郁症", "F32.9", "Depressive episode"},
	{"慢性乙型病毒性肝炎", "B18.1", "Chronic hepatitis B"},
	{"肺结核", "A15.0", "Pulmonary tuberculosis"},
	{"类风湿关节炎", "M06.9", "Rheumatoid arthritis"},
	{"慢性肾脏病", "N18.9", "Chronic kidney disease"},
	{"脑梗死", "I63.9", "Cerebral infarction"},
	{"甲状腺功能亢进症", "E05.9", "Hyperthyroidism"},
	{"急性上呼吸道感染", "J06.9", "Acute upper respiratory infection"},
	{"腰椎间盘突出症", "M51.2", "Lumbar disc herniation"},
	{"乳腺恶性肿瘤", "C50.9", "Malignant neoplasm of breast"},
	{"肺恶性肿瘤", "C34.9", "Malignant neoplasm of lung"},
	{"艾滋病病毒感染", "B20", "HIV disease"},
	{"广泛性焦虑障碍", "F41.1", "Generalized anxiety disorder"},
	{"痛风", "M10.9", "Gout"},
	{"过敏性鼻炎", "J30.4", "Allergic rhinitis"},
	{"缺铁性贫血", "D50.9", "Iron deficiency anaemia"},
	{"偏头痛", "G43.9", "Migraine"},
	{"骨质疏松症", "M81.9", "Osteoporosis"},
	{"慢性阻塞性肺疾病", "J44.9", "Chronic obstructive pulmonary disease"},
}

var religionsZH = [...]string{"佛教", "道教", "伊斯兰教", "基督教", "天主教", "无宗教信仰", "其他宗教", "藏传佛教"}

var religionsEN = [...]string{"Buddhism", "Christianity", "Islam", "Hinduism", "Judaism", "None", "Catholic", "Protestant", "Taoism", "Sikhism"}

// Free-text pieces. Templates with a {} slot take an identifier.
var remarksZH = [...]string{
	"客户要求周末送货", "已电话回访，客户满意", "发票抬头为个人", "请放门卫处", "包装破损已补发",
	"会员积分已兑换", "退货原因：尺码不合适", "客户咨询物流进度", "优惠券已使用", "预约下午三点后配送",
	"", "", "",
}

var remarksZHSlot = [...]string{
	"请联系{}确认收货地址", "客户来电，回拨号码{}", "备用联系电话：{}", "收件人电话{}，工作日送达",
}

var remarksIDSlot = [...]string{
	"身份证{}已核验", "实名认证证件号{}", "报关需提供身份证号{}",
}

var remarksEN = [...]string{
	"Customer asked for weekend delivery", "Gift wrap requested", "Leave at the front desk",
	"Refund issued after return", "Invoice to company", "Address confirmed by phone",
}

var remarksENSlot = [...]string{
	"Call back at {} before delivery", "Alternate contact number: {}", "Customer phone {} confirmed",
}
