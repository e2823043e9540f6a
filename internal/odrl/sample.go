package odrl

import "time"

// SampleOffer returns a realistic cross-border offer: a Chinese retailer's
// order dataset offered for research, statistics and risk control to
// recipients in the EEA, Singapore, Japan or Hong Kong, under an approved
// export route, for general or important data, processed in privacy
// computing, with field minimisation, time window, counters and credential
// claims — sixteen constraints, a prohibition of onward transfer to the US
// with a remedy, and two duties. The benchmarks (BenchmarkEvaluate, xborder
// bench policy) and the documentation use it.
func SampleOffer() []byte {
	return []byte(sampleOffer)
}

// SampleRequest returns a request that SampleOffer permits, at the given
// time.
func SampleRequest(now time.Time) Request {
	return Request{
		Assigner: "did:web:provider.example",
		Assignee: "did:web:consumer.example",
		Action:   "use",
		Target:   "urn:xborder:CN/retail/shenzhen/orders-2026",
		Context: map[string]any{
			"dateTime":              now.UTC().Format(time.RFC3339),
			"purpose":               "risk_control",
			"spatial":               "DE",
			"recipientJurisdiction": "DE",
			"providerJurisdiction":  "CN",
			"transferRoute":         "CN_SC",
			"classificationLevel":   "general",
			"count":                 42,
			"elapsedTime":           "P10D",
			"computation":           "tee",
			"fields":                []any{"order_id", "amount", "city"},
			"industry":              "finance",
			"deliveryChannel":       "api",
			"recipient":             "did:web:consumer.example",
		},
		Claims: map[string]any{"membership": "gold", "certification": "ISO27001"},
	}
}

const sampleOffer = `{
  "@context": ["http://www.w3.org/ns/odrl.jsonld", "https://xborder.dev/ns/odrl/v1"],
  "@type": "Offer",
  "uid": "urn:xborder:offer:retail-orders-2026:v3",
  "assigner": "did:web:provider.example",
  "target": "urn:xborder:CN/retail/shenzhen/orders-2026",
  "jurisdiction": "CN",
  "conflict": "prohibit",
  "permission": [{
    "uid": "urn:xborder:offer:retail-orders-2026:v3#use",
    "action": "use",
    "constraint": [
      {"uid": "#from",      "leftOperand": "dateTime", "operator": "gteq", "rightOperand": {"@value": "2026-01-01", "@type": "xsd:date"}},
      {"uid": "#until",     "leftOperand": "dateTime", "operator": "lt", "rightOperand": {"@value": "2027-01-01T00:00:00Z", "@type": "xsd:dateTime"}},
      {"uid": "#purpose",   "leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["research", "statistics", "risk_control"]},
      {"uid": "#where",     "leftOperand": "spatial", "operator": "isPartOf", "rightOperand": "EEA"},
      {"uid": "#to",        "leftOperand": "recipientJurisdiction", "operator": "isAnyOf", "rightOperand": ["DE", "FR", "NL", "SG", "JP", "HK"]},
      {"uid": "#from-cn",   "leftOperand": "providerJurisdiction", "operator": "eq", "rightOperand": "CN"},
      {"uid": "#route",     "leftOperand": "transferRoute", "operator": "isAnyOf", "rightOperand": ["CN_SA", "CN_SC", "CN_CERT"]},
      {"uid": "#level",     "leftOperand": "classificationLevel", "operator": "lteq", "rightOperand": "important"},
      {"uid": "#count",     "leftOperand": "count", "operator": "lteq", "rightOperand": {"@value": "1000", "@type": "xsd:integer"}},
      {"uid": "#period",    "leftOperand": "elapsedTime", "operator": "eq", "rightOperand": {"@value": "P365D", "@type": "xsd:duration"}},
      {"uid": "#compute",   "leftOperand": "computation", "operator": "isAnyOf", "rightOperand": ["tee", "mpc", "psi", "fl"]},
      {"uid": "#fields",    "leftOperand": "fields", "operator": "isAnyOf", "rightOperand": ["order_id", "amount", "city", "category", "order_time"]},
      {"uid": "#industry",  "leftOperand": "industry", "operator": "isAnyOf", "rightOperand": ["finance", "retail"]},
      {"uid": "#channel",   "leftOperand": "deliveryChannel", "operator": "eq", "rightOperand": "api"},
      {"uid": "#member",    "leftOperand": "claim:membership", "operator": "isAnyOf", "rightOperand": ["gold", "silver"]},
      {"uid": "#certified", "or": [
        {"uid": "#iso",  "leftOperand": "claim:certification", "operator": "eq", "rightOperand": "ISO27001"},
        {"uid": "#dsmm", "leftOperand": "claim:certification", "operator": "eq", "rightOperand": "DSMM-3"}
      ]}
    ],
    "duty": [
      {"uid": "#delete", "action": "delete", "constraint": [
        {"uid": "#delete-after", "leftOperand": "elapsedTime", "operator": "gt", "rightOperand": {"@value": "P365D", "@type": "xsd:duration"}}
      ]},
      {"uid": "#report", "action": "inform", "informedParty": "did:web:provider.example"}
    ]
  }],
  "prohibition": [{
    "uid": "urn:xborder:offer:retail-orders-2026:v3#no-us",
    "action": "distribute",
    "constraint": [
      {"uid": "#us", "leftOperand": "recipientJurisdiction", "operator": "isAnyOf", "rightOperand": ["US"]}
    ],
    "remedy": [{"uid": "#recall", "action": "delete"}]
  }]
}`
