package dsp

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Strict reading of the catalog protocol's messages: [Decode] takes them
// like every other message (CatalogRequestMessage, DatasetRequestMessage,
// CatalogError, Catalog, Dataset), and [DecodeCatalog] reads a catalog
// page up to MaxCatalogBytes. Besides the rules of Decode, a catalog is
// refused for: a dataset, catalog or data service without @id; a wrong
// @type of a nested object; a dataset without an offer or a distribution;
// an offer with a target or without an @id, or two offers of a dataset with
// the same @id; a distribution without format or accessService; a data
// service without endpointURL; a catalog with hasPolicy; an empty array
// where the schemas ask for at least one item. Members that are compact or
// absolute IRIs are kept in Properties.

func catalogKeys() []string {
	return []string{"@id", "participantId", "dataset", "catalog", "service", "distribution"}
}

func datasetKeys() []string { return []string{"@id", "hasPolicy", "distribution"} }

// DecodeCatalog reads a Catalog, the answer to a CatalogRequestMessage, of
// at most MaxCatalogBytes, with the rules of Decode.
func DecodeCatalog(data []byte) (*Catalog, error) {
	m, err := decode(data, MaxCatalogBytes)
	if err != nil {
		return nil, err
	}
	c, ok := m.(*Catalog)
	if !ok {
		return nil, badMsg("@type", "a %s, where a Catalog was expected", m.MessageType())
	}
	return c, nil
}

func (m *CatalogRequestMessage) validate() error {
	if m.Filter != nil && !bytes.HasPrefix(bytes.TrimSpace(m.Filter), []byte("[")) {
		return badMsg("filter", "must be an array")
	}
	return nil
}

func (m *DatasetRequestMessage) validate() error { return required("dataset", m.Dataset) }

func (m *CatalogError) validate() error { return checkReason(m.Reason, m.Reason != nil) }

func (m *Catalog) validate() error { return required("participantId", m.ParticipantID) }

// UnmarshalJSON reads a root catalog strictly (its @context is Decode's
// to check).
func (m *Catalog) UnmarshalJSON(b []byte) error {
	c, err := readCatalog("", b, true)
	if err != nil {
		return err
	}
	*m = c
	return nil
}

// UnmarshalJSON reads a root dataset strictly.
func (m *Dataset) UnmarshalJSON(b []byte) error {
	d, err := readDataset("", b, true)
	if err != nil {
		return err
	}
	*m = d
	return nil
}

// members reads a JSON object: its members by name.
func members(path string, raw []byte, what string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, badMsg(path, "must be an object (a %s)", what)
	}
	return m, nil
}

// fields walks the members of an object of type typ: the @type, when
// present or required, must be typ; each other member is handed to take,
// which reports whether it knows it; extension IRIs go to Properties; any
// other member is refused.
func fields(path string, m map[string]json.RawMessage, typ string, typeRequired bool, props *Properties, take func(k string, v json.RawMessage) (bool, error)) error {
	if t, ok := m["@type"]; ok || typeRequired {
		var s string
		if json.Unmarshal(t, &s) != nil || s != typ {
			return badMsg(joinPath(path, "@type"), "must be %q", typ)
		}
	}
	for _, k := range sortedKeys(m) {
		if k == "@type" {
			continue
		}
		ok, err := take(k, m[k])
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		if !isExtension(k) {
			return badMsg(joinPath(path, k), "is not a property of %s", typ)
		}
		if *props == nil {
			*props = Properties{}
		}
		(*props)[k] = m[k]
	}
	return nil
}

// str reads a non-empty string member.
func str(path string, raw json.RawMessage) (string, error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil || s == "" {
		return "", badMsg(path, "must be a non-empty string")
	}
	return s, nil
}

// items reads an array of at least one item.
func items(path string, raw json.RawMessage) ([]json.RawMessage, error) {
	var a []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &a) != nil {
		return nil, badMsg(path, "must be an array")
	}
	if len(a) == 0 {
		return nil, badMsg(path, "when present it needs at least one item")
	}
	return a, nil
}

func at(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// offers reads a hasPolicy array of catalog offers with distinct @ids.
func offers(path string, raw json.RawMessage) ([]json.RawMessage, error) {
	a, err := items(path, raw)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(a))
	for i, o := range a {
		id, err := checkCatalogOffer(at(path, i), o)
		if err != nil {
			return nil, err
		}
		if ids[id] {
			return nil, badMsg(at(path, i)+".@id", "%q is the @id of another offer of this dataset", clip(id))
		}
		ids[id] = true
	}
	return a, nil
}

func readCatalog(path string, raw []byte, root bool) (Catalog, error) {
	var c Catalog
	m, err := members(path, raw, TypeCatalog)
	if err != nil {
		return c, err
	}
	err = fields(path, m, TypeCatalog, true, &c.Properties, func(k string, v json.RawMessage) (bool, error) {
		p := joinPath(path, k)
		var err error
		switch k {
		case "@context":
			return root, nil
		case "@id":
			c.ID, err = str(p, v)
		case "participantId":
			c.ParticipantID, err = str(p, v)
		case "dataset":
			var a []json.RawMessage
			if a, err = items(p, v); err == nil {
				c.Datasets = make([]Dataset, len(a))
				for i := range a {
					if c.Datasets[i], err = readDataset(at(p, i), a[i], false); err != nil {
						break
					}
				}
			}
		case "catalog":
			var a []json.RawMessage
			if a, err = items(p, v); err == nil {
				c.Catalogs = make([]Catalog, len(a))
				for i := range a {
					if c.Catalogs[i], err = readCatalog(at(p, i), a[i], false); err != nil {
						break
					}
				}
			}
		case "service":
			var a []json.RawMessage
			if a, err = items(p, v); err == nil {
				c.Services = make([]DataService, len(a))
				for i := range a {
					if c.Services[i], err = readDataService(at(p, i), a[i]); err != nil {
						break
					}
				}
			}
		case "distribution":
			c.Distributions, err = readDistributions(p, v)
		case "hasPolicy":
			return false, badMsg(p, "a catalog carries no offers (they belong to its datasets)")
		default:
			return false, nil
		}
		return true, err
	})
	if err == nil && c.ID == "" {
		err = badMsg(joinPath(path, "@id"), "missing; a catalog needs an @id")
	}
	return c, err
}

func readDataset(path string, raw []byte, root bool) (Dataset, error) {
	var d Dataset
	m, err := members(path, raw, TypeDataset)
	if err != nil {
		return d, err
	}
	err = fields(path, m, TypeDataset, root, &d.Properties, func(k string, v json.RawMessage) (bool, error) {
		p := joinPath(path, k)
		var err error
		switch k {
		case "@context":
			return root, nil
		case "@id":
			d.ID, err = str(p, v)
		case "hasPolicy":
			d.HasPolicy, err = offers(p, v)
		case "distribution":
			d.Distributions, err = readDistributions(p, v)
		default:
			return false, nil
		}
		return true, err
	})
	switch {
	case err != nil:
	case d.ID == "":
		err = badMsg(joinPath(path, "@id"), "missing; a dataset needs an @id")
	case d.HasPolicy == nil:
		err = badMsg(joinPath(path, "hasPolicy"), "missing; a dataset needs at least one offer")
	case d.Distributions == nil:
		err = badMsg(joinPath(path, "distribution"), "missing; a dataset needs at least one distribution")
	}
	return d, err
}

func readDistributions(path string, raw json.RawMessage) ([]Distribution, error) {
	a, err := items(path, raw)
	if err != nil {
		return nil, err
	}
	out := make([]Distribution, len(a))
	for i := range a {
		if out[i], err = readDistribution(at(path, i), a[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readDistribution(path string, raw []byte) (Distribution, error) {
	var d Distribution
	m, err := members(path, raw, TypeDistribution)
	if err != nil {
		return d, err
	}
	err = fields(path, m, TypeDistribution, false, &d.Properties, func(k string, v json.RawMessage) (bool, error) {
		p := joinPath(path, k)
		var err error
		switch k {
		case "format":
			d.Format, err = str(p, v)
		case "accessService":
			if len(v) > 0 && v[0] == '"' {
				d.AccessService.ID, err = str(p, v)
			} else {
				d.AccessService, err = readDataService(p, v)
			}
		case "hasPolicy":
			d.HasPolicy, err = offers(p, v)
		default:
			return false, nil
		}
		return true, err
	})
	switch {
	case err != nil:
	case d.Format == "":
		err = badMsg(joinPath(path, "format"), "missing; a distribution needs a format")
	case d.AccessService.ID == "":
		err = badMsg(joinPath(path, "accessService"), "missing; a distribution needs an accessService")
	}
	return d, err
}

func readDataService(path string, raw []byte) (DataService, error) {
	var s DataService
	m, err := members(path, raw, TypeDataService)
	if err != nil {
		return s, err
	}
	err = fields(path, m, TypeDataService, true, &s.Properties, func(k string, v json.RawMessage) (bool, error) {
		p := joinPath(path, k)
		var err error
		switch k {
		case "@id":
			s.ID, err = str(p, v)
		case "endpointURL":
			s.EndpointURL, err = str(p, v)
		case "endpointDescription":
			s.EndpointDescription, err = str(p, v)
		default:
			return false, nil
		}
		return true, err
	})
	switch {
	case err != nil:
	case s.ID == "":
		err = badMsg(joinPath(path, "@id"), "missing; a data service needs an @id")
	case s.EndpointURL == "":
		err = badMsg(joinPath(path, "endpointURL"), "missing; a data service needs an endpointURL")
	}
	return s, err
}
