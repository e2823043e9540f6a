package rulebook

import "slices"

// Singapore, PDPA s26 and PDPR regs 10–12 (research §6). Applies when
// exporter.country is SG and the recipient is abroad.

func sgApplies(s Scenario) bool {
	return s.Exporter.Country == "SG" && s.Recipient.Country != "SG" && hasPersonalData(s)
}

func evalSG(s Scenario) Decision {
	b := newDec("SG")
	r := s.Recipient
	th := DefaultThresholds()
	b.cite(cite("S1", "s26", ""), cite("S2", "regs 10–12", ""))
	b.reason(tx("sg_tlo", "Before transferring personal data outside Singapore, the organisation must ensure the recipient is bound by legally enforceable obligations giving comparable protection (reg 10(1)).", "向新加坡境外转移个人数据前，机构须确保接收方受具有法律执行力的义务约束，提供相当水平的保护（第10条第1款）。"))
	after := !s.AsOf.Before(mustDate(th.SGGlobalCBPRFrom))
	intermediary := r.Role == "processor"
	accepted := []string{"CBPR"}
	if intermediary {
		accepted = append(accepted, "PRP")
	}
	if after {
		accepted = append(accepted, "Global_CBPR")
		if intermediary {
			accepted = append(accepted, "Global_PRP")
		}
	}
	var cert string
	for _, c := range r.Certifications {
		if slices.Contains(accepted, c) {
			cert = c
			break
		}
	}
	if !after && (slices.Contains(r.Certifications, "Global_CBPR") || slices.Contains(r.Certifications, "Global_PRP")) {
		b.trace("SG.6.reg12.before")
		b.reason(tx("sg_global_before", "Global CBPR/PRP certifications are accepted under reg 12 only from "+th.SGGlobalCBPRFrom+" (S 86/2026); before that only APEC CBPR and PRP.", "全球 CBPR/PRP 认证自"+th.SGGlobalCBPRFrom+"起方可依第12条认可（S 86/2026）；此前仅认可 APEC CBPR 和 PRP。"))
	}
	switch {
	case cert != "":
		kind := "CBPR"
		if cert == "PRP" || cert == "Global_PRP" {
			kind = "PRP"
		}
		b.route(param(routeSGCertPrefix, kind), "SG.6.reg12")
		b.reason(tx("sg_cert", "The recipient holds a specified certification ("+cert+") and is deemed bound by legally enforceable obligations (reg 12).", "接收方持有指定认证（"+cert+"），视为受具有法律执行力的义务约束（第12条）。"))
		if after {
			b.cite(cite("S3", "", ""))
		}
	case sgDeemed(s) != "":
		g := sgDeemed(s)
		b.route(param(routeSGDeemedPrefix, "10(2)("+g+")"), "SG.6.reg10_2"+g)
		b.alt(RouteSGContract)
		switch g {
		case "a":
			b.reason(tx("sg_consent", "The individual consents to the transfer (reg 10(2)(a)).", "个人同意该转移（第10条第2款(a)项）。"))
			b.oblige(tx("sg_written_summary", "Consent is valid only if the individual was first given a reasonable written summary of the protection at the destination (reg 10(3)).", "仅在事先向个人提供关于目的地保护水平的合理书面摘要后，同意方为有效（第10条第3款）。"))
		case "b":
			b.reason(tx("sg_deemed_consent", "The transfer is necessary for a contract with the individual: deemed consent under PDPA s15 (reg 10(2)(b)).", "转移为履行与个人的合同所必需：依 PDPA 第15条视为同意（第10条第2款(b)项）。"))
		case "c":
			b.reason(tx("sg_necessity", "The transfer is necessary for a use or disclosure without consent under the First Schedule (e.g. vital interests), with reasonable steps against other use (reg 10(2)(c)).", "转移为第一附表规定的无需同意的使用或披露所必需（如重大利益），并已采取合理措施防止其他用途（第10条第2款(c)项）。"))
		case "e":
			b.reason(tx("sg_public", "The data is publicly available in Singapore (reg 10(2)(e)).", "该数据在新加坡公开可得（第10条第2款(e)项）。"))
		}
	case isGroupRelation(r.Relation):
		b.route(RouteSGBCR, "SG.6.reg11c")
		b.alt(RouteSGContract)
		b.reason(tx("sg_bcr", "The recipient is related: binding corporate rules specifying recipients, countries, rights and obligations can bind it (reg 11(1)(c)); a contract is the alternative.", "接收方为关联机构：可采用列明接收方、国家、权利义务的约束性公司规则（第11条第1款(c)项）；合同为替代方案。"))
	default:
		b.route(RouteSGContract, "SG.6.reg11b")
		b.reason(tx("sg_contract", "Bind the recipient by a contract requiring comparable protection and specifying the countries the data may go to (reg 11(1)(b)).", "以合同约束接收方提供相当水平保护，并列明数据可转移至的国家或地区（第11条第1款(b)项）。"))
	}
	return b.done()
}

// sgDeemed maps legal_basis and purpose to a reg 10(2) ground.
func sgDeemed(s Scenario) string {
	switch {
	case s.LegalBasis == "consent" || s.LegalBasis == "explicit_consent":
		return "a"
	case s.LegalBasis == "contract" || purposeGroup(s.Purpose) == purposeGroupContract:
		return "b"
	case s.LegalBasis == "vital_interests" || s.Purpose == "emergency_life_health":
		return "c"
	case s.LegalBasis == "public_register":
		return "e"
	}
	return ""
}
