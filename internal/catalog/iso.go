package catalog

import "sort"

// isoCountries holds the officially assigned ISO 3166-1 alpha-2 codes,
// sorted, two letters each. It is a constant so that no package state can
// change.
const isoCountries = "" +
	"ADAEAFAGAIALAMAOAQARASATAUAWAXAZ" +
	"BABBBDBEBFBGBHBIBJBLBMBNBOBQBRBS" +
	"BTBVBWBYBZCACCCDCFCGCHCICKCLCMCN" +
	"COCRCUCVCWCXCYCZDEDJDKDMDODZECEE" +
	"EGEHERESETFIFJFKFMFOFRGAGBGDGEGF" +
	"GGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHM" +
	"HNHRHTHUIDIEILIMINIOIQIRISITJEJM" +
	"JOJPKEKGKHKIKMKNKPKRKWKYKZLALBLC" +
	"LILKLRLSLTLULVLYMAMCMDMEMFMGMHMK" +
	"MLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNA" +
	"NCNENFNGNINLNONPNRNUNZOMPAPEPFPG" +
	"PHPKPLPMPNPRPSPTPWPYQARERORSRURW" +
	"SASBSCSDSESGSHSISJSKSLSMSNSOSRSS" +
	"STSVSXSYSZTCTDTFTGTHTJTKTLTMTNTO" +
	"TRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVI" +
	"VNVUWFWSYEYTZAZMZW"

// isCountry reports whether c is an officially assigned ISO 3166-1 alpha-2
// code (upper case).
func isCountry(c string) bool {
	if len(c) != 2 {
		return false
	}
	n := len(isoCountries) / 2
	i := sort.Search(n, func(i int) bool { return isoCountries[2*i:2*i+2] >= c })
	return i < n && isoCountries[2*i:2*i+2] == c
}

// validPlace reports whether s is an ISO 3166-1 alpha-2 country code or an
// ISO 3166-2 subdivision code (CN-GD, DE-BY, GB-ENG), in upper case, or a
// region code: the values of spatialCoverage and of provenance locations.
func validPlace(s string) bool {
	if len(s) == 2 {
		return ValidSovereignty(s)
	}
	if len(s) < 4 || len(s) > 6 || s[2] != '-' || !isCountry(s[:2]) {
		return false
	}
	for _, c := range []byte(s[3:]) {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
