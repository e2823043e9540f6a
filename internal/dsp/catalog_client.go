package dsp

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// Bounds of Client.Catalog.
const (
	DefaultCatalogPages = 1000
	DefaultCatalogBytes = 256 << 20
)

// CatalogLimits bound what Client.Catalog reads: the pages it follows and
// the bytes of all pages together (each page is also bounded by
// MaxCatalogBytes). Zero fields take the defaults.
type CatalogLimits struct {
	Pages int
	Bytes int64
}

func (l CatalogLimits) pages() int {
	if l.Pages > 0 {
		return l.Pages
	}
	return DefaultCatalogPages
}

func (l CatalogLimits) bytes() int64 {
	if l.Bytes > 0 {
		return l.Bytes
	}
	return DefaultCatalogBytes
}

// PageLinks are the links of a catalog page (its Link header): absolute
// URLs, "" when the page has none.
type PageLinks struct {
	Next, Previous string
}

// resolve makes the links absolute against the page's URL; a link that is
// not an http(s) URL is an error.
func (l PageLinks) resolve(page string) (PageLinks, error) {
	base, err := url.Parse(page)
	if err != nil {
		return PageLinks{}, fmt.Errorf("dsp: %w", err)
	}
	for _, p := range []*string{&l.Next, &l.Previous} {
		if *p == "" {
			continue
		}
		ref, err := url.Parse(*p)
		if err != nil {
			return PageLinks{}, fmt.Errorf("dsp: the catalog page %s has a malformed link", redactURL(page))
		}
		abs := base.ResolveReference(ref)
		if (abs.Scheme != "https" && abs.Scheme != "http") || abs.Host == "" || abs.User != nil {
			return PageLinks{}, fmt.Errorf("dsp: the catalog page %s links to %s, not an http(s) URL", redactURL(page), redactURL(*p))
		}
		abs.Fragment, abs.RawFragment = "", ""
		*p = abs.String()
	}
	return l, nil
}

// sameOrigin reports whether two absolute URLs have the same scheme and
// host: page links are followed (with a token for the provider) only
// there.
func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}

// parseLinks reads the next and previous links of Link header values
// (RFC 8288: `<url>; rel="next"`, several links separated by commas, a rel
// naming several relations). "prev" is taken as "previous". Malformed
// input ends the reading; the links read so far stand.
func parseLinks(values []string) PageLinks {
	var out PageLinks
	for _, h := range values {
		for {
			h = strings.TrimLeft(h, " \t,")
			if h == "" || h[0] != '<' {
				break
			}
			end := strings.IndexByte(h, '>')
			if end < 0 || strings.IndexByte(h[1:end], '<') >= 0 {
				break
			}
			target := strings.TrimSpace(h[1:end])
			h = h[end+1:]
			var rels []string
			ok := true
			for ok {
				h = strings.TrimLeft(h, " \t")
				if h == "" || h[0] == ',' {
					break
				}
				if h[0] != ';' {
					ok = false
					break
				}
				var name, value string
				name, value, h, ok = linkParam(h[1:])
				if ok && strings.EqualFold(name, "rel") && rels == nil {
					rels = strings.Fields(value)
				}
			}
			for _, r := range rels {
				switch strings.ToLower(r) {
				case "next":
					if out.Next == "" {
						out.Next = target
					}
				case "previous", "prev":
					if out.Previous == "" {
						out.Previous = target
					}
				}
			}
			if !ok {
				break
			}
		}
	}
	return out
}

// linkParam reads one `name=value` or `name="quoted value"` (or a bare
// name) of a link, returning what follows it.
func linkParam(s string) (name, value, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, "=;,")
	if i < 0 {
		return strings.TrimSpace(s), "", "", true
	}
	name = strings.TrimSpace(s[:i])
	if s[i] != '=' {
		return name, "", s[i:], true
	}
	s = strings.TrimLeft(s[i+1:], " \t")
	if s == "" || s[0] != '"' {
		j := strings.IndexAny(s, ";,")
		if j < 0 {
			return name, strings.TrimSpace(s), "", true
		}
		return name, strings.TrimSpace(s[:j]), s[j:], true
	}
	var b strings.Builder
	for j := 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if j+1 < len(s) {
				j++
				b.WriteByte(s[j])
			}
		case '"':
			return name, b.String(), s[j+1:], true
		default:
			b.WriteByte(s[j])
		}
	}
	return name, "", "", false // an unterminated quoted string
}

// merger joins the pages of a catalog.
type merger struct {
	datasets, catalogs, services map[string]bool
}

// first takes the first page as the catalog.
func (m *merger) first(p *Catalog) *Catalog {
	m.datasets, m.catalogs, m.services = map[string]bool{}, map[string]bool{}, map[string]bool{}
	all := &Catalog{ID: p.ID, ParticipantID: p.ParticipantID, Distributions: p.Distributions, Properties: p.Properties}
	m.take(all, p)
	return all
}

// add takes the datasets, nested catalogs and services of a later page.
func (m *merger) add(all, p *Catalog) error {
	if p.ParticipantID != all.ParticipantID {
		return fmt.Errorf("a page of participant %q in the catalog of %q", clip(p.ParticipantID), clip(all.ParticipantID))
	}
	m.take(all, p)
	return nil
}

func (m *merger) take(all, p *Catalog) {
	for _, d := range p.Datasets {
		if !m.datasets[d.ID] {
			m.datasets[d.ID] = true
			all.Datasets = append(all.Datasets, d)
		}
	}
	for _, c := range p.Catalogs {
		if !m.catalogs[c.ID] {
			m.catalogs[c.ID] = true
			all.Catalogs = append(all.Catalogs, c)
		}
	}
	for _, s := range p.Services {
		if !m.services[s.ID] {
			m.services[s.ID] = true
			all.Services = append(all.Services, s)
		}
	}
}

// catalogURL is <base>/catalog/datasets/{id} of a provider.
func catalogURL(base, id string) string {
	return strings.TrimRight(base, "/") + "/catalog/datasets/" + url.PathEscape(id)
}

// FetchCatalog reads, with the node's client (its tokens for participant,
// the provider's identifier), the whole catalog of the connector at u:
// its root URL (the version endpoint names <base>) or its <base>.
func (n *Node) FetchCatalog(ctx context.Context, u, participant string, lim CatalogLimits) (*Catalog, error) {
	addr, err := checkPeerURL(u)
	if err != nil {
		return nil, err
	}
	base, err := n.client.ResolveBase(ctx, addr)
	if err != nil {
		return nil, err
	}
	return n.client.Catalog(ctx, base, participant, lim)
}
