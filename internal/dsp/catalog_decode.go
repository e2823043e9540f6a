package dsp

import (
	"bytes"
	"encoding/json"
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
	if _, err := readMembers(b, MaxCatalogBytes); err != nil {
		return err
	}
	return m.readRaw(b)
}

// UnmarshalJSON reads a root dataset strictly.
func (m *Dataset) UnmarshalJSON(b []byte) error {
	if _, err := readMembers(b, MaxCatalogBytes); err != nil {
		return err
	}
	return m.readRaw(b)
}

// readRaw reads a checked root catalog.
func (m *Catalog) readRaw(b []byte) error {
	c, err := readCatalog(b, true)
	if err == nil {
		*m = c
	}
	return err
}

// readRaw reads a checked root dataset.
func (m *Dataset) readRaw(b []byte) error {
	d, err := readDataset(b, true)
	if err == nil {
		*m = d
	}
	return err
}

// The readers below report paths relative to what they read (see within).

// fields walks the members of a checked JSON object of type typ: the
// @type, when present or required, must be typ; each other member is
// handed to take, which reports whether it knows it; extension IRIs go to
// Properties; any other member is refused.
func fields(raw []byte, typ string, typeRequired bool, props *Properties, take func(k string, v []byte) (bool, error)) error {
	it, ok := newMemberIter(raw)
	if !ok {
		return badMsg("", "must be an object (a %s)", typ)
	}
	typed := false
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		if k == "@type" {
			if s, _ := stringValue(v); s != typ {
				return badMsg(k, "must be %q", typ)
			}
			typed = true
			continue
		}
		known, err := take(k, v)
		if err != nil {
			return within(err, k)
		}
		if known {
			continue
		}
		if !isExtension(k) {
			return badMsg(k, "is not a property of %s", typ)
		}
		if *props == nil {
			*props = Properties{}
		}
		(*props)[k] = v
	}
	if typeRequired && !typed {
		return badMsg("@type", "must be %q", typ)
	}
	return nil
}

// str reads a non-empty string.
func str(raw []byte) (string, error) {
	s, ok := stringValue(raw)
	if !ok || s == "" {
		return "", badMsg("", "must be a non-empty string")
	}
	return s, nil
}

// items reads an array of at least one item.
func items(raw []byte) ([][]byte, error) {
	a, ok := arrayItems(raw)
	if !ok {
		return nil, badMsg("", "must be an array")
	}
	if len(a) == 0 {
		return nil, badMsg("", "when present it needs at least one item")
	}
	return a, nil
}

// offers reads a hasPolicy array of catalog offers with distinct @ids: the
// Offer shape of the 2025-1 dataset schema (an @id, @type Offer when
// present, no target: the enclosing dataset is the target) with the rules
// of checkPolicy.
func offers(raw []byte) ([]json.RawMessage, error) {
	a, err := items(raw)
	if err != nil {
		return nil, err
	}
	var ids map[string]bool
	if len(a) > 1 {
		ids = make(map[string]bool, len(a))
	}
	out := make([]json.RawMessage, len(a))
	for i, o := range a {
		id, err := checkPolicyRel(o, "Offer", true)
		if err != nil {
			return nil, within(err, item(i))
		}
		if ids[id] {
			return nil, badMsg(item(i)+".@id", "%q is the @id of another offer of this dataset", clip(id))
		}
		if ids != nil {
			ids[id] = true
		}
		out[i] = o
	}
	return out, nil
}

// list reads an array of at least one item with read.
func list[T any](raw []byte, read func(raw []byte) (T, error)) ([]T, error) {
	a, err := items(raw)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(a))
	for i := range a {
		if out[i], err = read(a[i]); err != nil {
			return nil, within(err, item(i))
		}
	}
	return out, nil
}

func readCatalog(raw []byte, root bool) (Catalog, error) {
	var c Catalog
	err := fields(raw, TypeCatalog, true, &c.Properties, func(k string, v []byte) (bool, error) {
		var err error
		switch k {
		case "@context":
			return root, nil
		case "@id":
			c.ID, err = str(v)
		case "participantId":
			c.ParticipantID, err = str(v)
		case "dataset":
			c.Datasets, err = list(v, func(raw []byte) (Dataset, error) { return readDataset(raw, false) })
		case "catalog":
			c.Catalogs, err = list(v, func(raw []byte) (Catalog, error) { return readCatalog(raw, false) })
		case "service":
			c.Services, err = list(v, readDataService)
		case "distribution":
			c.Distributions, err = list(v, readDistribution)
		case "hasPolicy":
			return false, badMsg("", "a catalog carries no offers (they belong to its datasets)")
		default:
			return false, nil
		}
		return true, err
	})
	if err == nil && c.ID == "" {
		err = badMsg("@id", "missing; a catalog needs an @id")
	}
	return c, err
}

func readDataset(raw []byte, root bool) (Dataset, error) {
	var d Dataset
	err := fields(raw, TypeDataset, root, &d.Properties, func(k string, v []byte) (bool, error) {
		var err error
		switch k {
		case "@context":
			return root, nil
		case "@id":
			d.ID, err = str(v)
		case "hasPolicy":
			d.HasPolicy, err = offers(v)
		case "distribution":
			d.Distributions, err = list(v, readDistribution)
		default:
			return false, nil
		}
		return true, err
	})
	switch {
	case err != nil:
	case d.ID == "":
		err = badMsg("@id", "missing; a dataset needs an @id")
	case d.HasPolicy == nil:
		err = badMsg("hasPolicy", "missing; a dataset needs at least one offer")
	case d.Distributions == nil:
		err = badMsg("distribution", "missing; a dataset needs at least one distribution")
	}
	return d, err
}

func readDistribution(raw []byte) (Distribution, error) {
	var d Distribution
	err := fields(raw, TypeDistribution, false, &d.Properties, func(k string, v []byte) (bool, error) {
		var err error
		switch k {
		case "format":
			d.Format, err = str(v)
		case "accessService":
			if len(v) > 0 && v[0] == '"' {
				d.AccessService.ID, err = str(v)
			} else {
				d.AccessService, err = readDataService(v)
			}
		case "hasPolicy":
			d.HasPolicy, err = offers(v)
		default:
			return false, nil
		}
		return true, err
	})
	switch {
	case err != nil:
	case d.Format == "":
		err = badMsg("format", "missing; a distribution needs a format")
	case d.AccessService.ID == "":
		err = badMsg("accessService", "missing; a distribution needs an accessService")
	}
	return d, err
}

func readDataService(raw []byte) (DataService, error) {
	var s DataService
	err := fields(raw, TypeDataService, true, &s.Properties, func(k string, v []byte) (bool, error) {
		var err error
		switch k {
		case "@id":
			s.ID, err = str(v)
		case "endpointURL":
			s.EndpointURL, err = str(v)
		case "endpointDescription":
			s.EndpointDescription, err = str(v)
		default:
			return false, nil
		}
		return true, err
	})
	switch {
	case err != nil:
	case s.ID == "":
		err = badMsg("@id", "missing; a data service needs an @id")
	case s.EndpointURL == "":
		err = badMsg("endpointURL", "missing; a data service needs an endpointURL")
	}
	return s, err
}
