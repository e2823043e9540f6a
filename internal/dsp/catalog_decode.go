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
	c, err := readCatalog("", b, true)
	if err == nil {
		*m = c
	}
	return err
}

// readRaw reads a checked root dataset.
func (m *Dataset) readRaw(b []byte) error {
	d, err := readDataset("", b, true)
	if err == nil {
		*m = d
	}
	return err
}

// fields walks the members of a checked JSON object of type typ: the
// @type, when present or required, must be typ; each other member is
// handed to take, which reports whether it knows it; extension IRIs go to
// Properties; any other member is refused.
func fields(path string, raw []byte, typ string, typeRequired bool, props *Properties, take func(k string, v []byte) (bool, error)) error {
	it, ok := newMemberIter(raw)
	if !ok {
		return badMsg(path, "must be an object (a %s)", typ)
	}
	typed := false
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		if k == "@type" {
			if s, _ := stringValue(v); s != typ {
				return badMsg(joinPath(path, "@type"), "must be %q", typ)
			}
			typed = true
			continue
		}
		known, err := take(k, v)
		if err != nil {
			return err
		}
		if known {
			continue
		}
		if !isExtension(k) {
			return badMsg(joinPath(path, k), "is not a property of %s", typ)
		}
		if *props == nil {
			*props = Properties{}
		}
		(*props)[k] = v
	}
	if typeRequired && !typed {
		return badMsg(joinPath(path, "@type"), "must be %q", typ)
	}
	return nil
}

// str reads a non-empty string member.
func str(path string, raw []byte) (string, error) {
	s, ok := stringValue(raw)
	if !ok || s == "" {
		return "", badMsg(path, "must be a non-empty string")
	}
	return s, nil
}

// items reads an array of at least one item.
func items(path string, raw []byte) ([][]byte, error) {
	a, ok := arrayItems(raw)
	if !ok {
		return nil, badMsg(path, "must be an array")
	}
	if len(a) == 0 {
		return nil, badMsg(path, "when present it needs at least one item")
	}
	return a, nil
}

func at(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// offers reads a hasPolicy array of catalog offers with distinct @ids.
func offers(path string, raw []byte) ([]json.RawMessage, error) {
	a, err := items(path, raw)
	if err != nil {
		return nil, err
	}
	var ids map[string]bool
	if len(a) > 1 {
		ids = make(map[string]bool, len(a))
	}
	out := make([]json.RawMessage, len(a))
	for i, o := range a {
		id, err := checkCatalogOffer(at(path, i), o)
		if err != nil {
			return nil, err
		}
		if ids[id] {
			return nil, badMsg(at(path, i)+".@id", "%q is the @id of another offer of this dataset", clip(id))
		}
		if ids != nil {
			ids[id] = true
		}
		out[i] = o
	}
	return out, nil
}

// list reads an array of at least one item with read.
func list[T any](path string, raw []byte, read func(path string, raw []byte) (T, error)) ([]T, error) {
	a, err := items(path, raw)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(a))
	for i := range a {
		if out[i], err = read(at(path, i), a[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readCatalog(path string, raw []byte, root bool) (Catalog, error) {
	var c Catalog
	err := fields(path, raw, TypeCatalog, true, &c.Properties, func(k string, v []byte) (bool, error) {
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
			c.Datasets, err = list(p, v, func(p string, raw []byte) (Dataset, error) { return readDataset(p, raw, false) })
		case "catalog":
			c.Catalogs, err = list(p, v, func(p string, raw []byte) (Catalog, error) { return readCatalog(p, raw, false) })
		case "service":
			c.Services, err = list(p, v, readDataService)
		case "distribution":
			c.Distributions, err = list(p, v, readDistribution)
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
	err := fields(path, raw, TypeDataset, root, &d.Properties, func(k string, v []byte) (bool, error) {
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
			d.Distributions, err = list(p, v, readDistribution)
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

func readDistribution(path string, raw []byte) (Distribution, error) {
	var d Distribution
	err := fields(path, raw, TypeDistribution, false, &d.Properties, func(k string, v []byte) (bool, error) {
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
	err := fields(path, raw, TypeDataService, true, &s.Properties, func(k string, v []byte) (bool, error) {
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
