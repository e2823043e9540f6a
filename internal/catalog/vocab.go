package catalog

// labels gives the Chinese and English names of common industry and
// scenario codes. They are indexed with an entry's code so that a search in
// either language finds it (金融 finds industry finance). Codes outside the
// table are indexed as their words.
func labels(code string) (zh, en string) {
	switch code {
	case "finance":
		return "金融", "finance financial"
	case "banking":
		return "银行", "banking bank"
	case "insurance":
		return "保险", "insurance"
	case "securities":
		return "证券", "securities"
	case "retail":
		return "零售", "retail"
	case "ecommerce":
		return "电商 电子商务", "e-commerce ecommerce online shopping"
	case "healthcare":
		return "医疗 健康", "healthcare health medical"
	case "pharma":
		return "医药 制药", "pharmaceutical pharma"
	case "manufacturing":
		return "制造", "manufacturing"
	case "automotive":
		return "汽车", "automotive vehicle car"
	case "logistics":
		return "物流", "logistics"
	case "transport":
		return "交通 运输", "transport transportation"
	case "energy":
		return "能源 电力", "energy power"
	case "telecom":
		return "电信 通信", "telecom telecommunications"
	case "education":
		return "教育", "education"
	case "government":
		return "政务", "government public sector"
	case "agriculture":
		return "农业", "agriculture"
	case "tourism":
		return "旅游", "tourism travel"
	case "research":
		return "科研", "research science"
	case "real_estate":
		return "房地产", "real estate property"
	case "risk_control":
		return "风控 风险控制", "risk control"
	case "anti_fraud":
		return "反欺诈", "anti-fraud fraud"
	case "credit_scoring":
		return "信用评估 征信", "credit scoring"
	case "marketing":
		return "营销 市场营销", "marketing"
	case "sales_analytics":
		return "销售分析", "sales analytics"
	case "customer_service":
		return "客户服务 客服", "customer service"
	case "clinical_research":
		return "临床研究", "clinical research trial"
	case "supply_chain":
		return "供应链", "supply chain"
	case "hr_management":
		return "人力资源", "human resources"
	case "aml":
		return "反洗钱", "anti-money laundering"
	case "cross_border_payment":
		return "跨境支付", "cross-border payment"
	case "smart_city":
		return "智慧城市", "smart city"
	}
	return "", ""
}
