package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/atomicfile"
	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/vc"
)

// catalogDBFile is the database of the data directory, shared with the
// other components.

const catalogExitCodes = `
EXIT CODES
  0  done
  1  not found, withdrawn, not visible to the requester, or an internal failure
  2  bad input: a malformed entry, identifier, query or data file (nothing is written)`

func newCatalogCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "Register, harvest, search and resolve datasets in the DCAT data catalog",
		Long: `The catalog answers "where is the data and what is it" (white paper §2.1.2.2, §2.2.2,
§2.3.4). Entries are DCAT 3 datasets with the basic, business, governance and
provenance metadata groups, written as plain JSON that is also JSON-LD under the
Dataspace Protocol 2025-1 context and the xborder catalog context (docs/catalog.md).

Identifiers are prefix/sovereignty/space/product, e.g.
xb86/CN/gba-finance/retail-customers-2026. State lives in DATA_DIR/xborder.db
(--data-dir, $XBORDER_DATA_DIR or ~/.xborder). The command line acts as the
node's operator: it sees every entry unless --as names another requester.`,
	}
	cmd.AddCommand(newCatalogInitCmd(e), newCatalogRegisterCmd(e), newCatalogHarvestCmd(e), newCatalogGetCmd(e),
		newCatalogResolveCmd(e), newCatalogSearchCmd(e), newCatalogExportCmd(e), newCatalogRemoveCmd(e),
		newCatalogResolutionsCmd(e), newCatalogContextCmd(e))
	return cmd
}

func addDataDirFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
}

// openCatalogDB opens DATA_DIR/xborder.db. Without create, a missing
// database is an error that says how to start one.
func openCatalogDB(e *env, dirFlag string, create bool) (*sql.DB, error) {
	dir := dataDir(e, dirFlag)
	path := filepath.Join(dir, stateDBFile)
	if !create {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, &exitError{code: exitFailure, err: fmt.Errorf("no catalog in %s", dir),
				hint: "register a dataset first: xborder catalog register ENTRY.json, or xborder catalog harvest --id ID FILE"}
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, failure(fmt.Errorf("creating the data directory: %w", err))
	}
	db, err := openStateDB(path, "NORMAL")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// withCatalog runs f with the catalog of the data directory.
func withCatalog(ctx context.Context, e *env, dirFlag string, create bool, f func(*catalog.Catalog, *sql.DB) error) error {
	db, err := openCatalogDB(e, dirFlag, create)
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := catalog.Open(ctx, db, catalog.Config{Now: e.now, Node: "cli", Checker: catalog.NewODRLChecker(e.now)})
	if err != nil {
		return failure(err)
	}
	return f(c, db)
}

// catalogErr maps catalog errors to exit codes and hints.
func catalogErr(err error) error {
	var ee *exitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return err
	case errors.Is(err, catalog.ErrExists):
		return badInput(err, "add --replace to register a new revision of it")
	case catalog.IsInputError(err):
		return badInput(err, "see docs/catalog.md for the entry, the identifier and the query syntax")
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, catalog.ErrDenied):
		return &exitError{code: exitFailure, err: err, hint: "look for it with: xborder catalog search"}
	case errors.Is(err, catalog.ErrWithdrawn):
		return &exitError{code: exitFailure, err: err, hint: "register it again to bring it back"}
	}
	return failure(err)
}

func newCatalogInitCmd(e *env) *cobra.Command {
	var dir, participant, endpoint, serviceID, catalogID string
	var title, desc [2]string
	cmd := &cobra.Command{
		Use:   "init --participant DID --endpoint URL [--title-zh T --title-en T]",
		Short: "Describe the catalog: the participant and its Dataspace Protocol endpoint",
		Long: `init records who publishes the catalog (its DID) and the Dataspace Protocol
endpoint of the connector that serves its datasets: the DataService of the exported
DCAT catalog and the access interface of entries that refer to it by @id. Running
it again changes only what it is given. It prints the description as JSON.` + catalogExitCodes,
		Example: `  xborder catalog init --participant did:web:retail.example.cn --endpoint https://connector.retail.example.cn/dsp \
      --title-zh 零售数据目录 --title-en "Retail data catalog"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCatalog(cmd.Context(), e, dir, true, func(c *catalog.Catalog, _ *sql.DB) error {
				in := c.Info()
				if catalogID != "" {
					in.ID = catalogID
				} else if in.ID == "" {
					in.ID = newUUIDURN()
				}
				if participant != "" {
					in.ParticipantID = participant
				}
				in.Title = setLang(in.Title, title)
				in.Description = setLang(in.Description, desc)
				if endpoint != "" || serviceID != "" {
					svc := catalog.DataService{Type: "DataService"}
					if in.Service != nil {
						svc = *in.Service
					}
					if endpoint != "" {
						svc.EndpointURL = endpoint
					}
					switch {
					case serviceID != "":
						svc.ID = serviceID
					case svc.ID == "":
						svc.ID = newUUIDURN()
					}
					in.Service = &svc
				}
				if err := c.SetInfo(cmd.Context(), in); err != nil {
					return catalogErr(err)
				}
				return printJSON(e, c.Info())
			})
		},
	}
	addDataDirFlag(cmd, &dir)
	fl := cmd.Flags()
	fl.StringVar(&participant, "participant", "", "the participant's DID")
	fl.StringVar(&endpoint, "endpoint", "", "URL of the connector's Dataspace Protocol endpoint")
	fl.StringVar(&serviceID, "service-id", "", "@id of the DataService (default: a new urn:uuid)")
	fl.StringVar(&catalogID, "catalog-id", "", "@id of the catalog (default: a new urn:uuid)")
	fl.StringVar(&title[0], "title-zh", "", "Chinese title of the catalog")
	fl.StringVar(&title[1], "title-en", "", "English title of the catalog")
	fl.StringVar(&desc[0], "description-zh", "", "Chinese description")
	fl.StringVar(&desc[1], "description-en", "", "English description")
	return cmd
}

func setLang(m catalog.LangMap, zhEn [2]string) catalog.LangMap {
	for i, tag := range []string{"zh", "en"} {
		if zhEn[i] != "" {
			if m == nil {
				m = catalog.LangMap{}
			}
			m[tag] = zhEn[i]
		}
	}
	return m
}

func newUUIDURN() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// readEntries reads the entries of a file ("-" is standard input): one
// entry object, or an array of them.
func readEntries(path string, stdin io.Reader) ([]*catalog.Entry, error) {
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(io.LimitReader(stdin, 64*catalog.MaxEntryBytes+1))
	} else {
		raw, err = readLimited(path, 64*catalog.MaxEntryBytes)
	}
	if err != nil {
		return nil, badInput(err, "give a JSON file with one entry, or an array of entries")
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, badInput(fmt.Errorf("%s: not a JSON array of entries: %w", path, err), "")
		}
		out := make([]*catalog.Entry, len(items))
		for i, it := range items {
			en, err := catalog.DecodeEntry(it)
			if err != nil {
				return nil, badInput(fmt.Errorf("%s: entry %d: %w", path, i+1, err), "see docs/catalog.md, \"The entry\"")
			}
			out[i] = en
		}
		return out, nil
	}
	en, err := catalog.DecodeEntry(raw)
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", path, err), "see docs/catalog.md, \"The entry\"")
	}
	return []*catalog.Entry{en}, nil
}

func newCatalogRegisterCmd(e *env) *cobra.Command {
	var dir string
	var replace, dryRun bool
	cmd := &cobra.Command{
		Use:   "register [--replace] [--dry-run] ENTRY.json ...",
		Short: "Register catalog entries and print their identifiers",
		Long: `register validates the entries (each file holds one entry or an array of them; "-"
reads standard input) and stores them in one transaction: all of them, or none when
one is bad. A key the entry model does not know is refused rather than dropped; so
are ODRL terms the Dataspace Protocol context leaves undefined (write odrl:purpose,
not purpose). It prints each identifier on its own line. --dry-run validates and
prints the normalised entries instead of storing them.` + catalogExitCodes,
		Example: `  xborder catalog register entry.json
  xborder catalog register --replace entry.json
  xborder catalog register --dry-run entry.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var entries []*catalog.Entry
			for _, a := range args {
				es, err := readEntries(a, cmd.InOrStdin())
				if err != nil {
					return err
				}
				entries = append(entries, es...)
			}
			if dryRun {
				for _, en := range entries {
					if err := catalog.Validate(en); err != nil {
						return catalogErr(fmt.Errorf("%s: %w", en.Identifier, err))
					}
				}
				if len(entries) == 1 {
					return printJSON(e, entries[0])
				}
				return printJSON(e, entries)
			}
			return withCatalog(cmd.Context(), e, dir, true, func(c *catalog.Catalog, _ *sql.DB) error {
				ids, err := c.RegisterBatch(cmd.Context(), entries, catalog.RegisterOptions{Replace: replace})
				if err != nil {
					return catalogErr(err)
				}
				for _, id := range ids {
					fmt.Fprintln(e.stdout, id)
				}
				return nil
			})
		},
	}
	addDataDirFlag(cmd, &dir)
	cmd.Flags().BoolVar(&replace, "replace", false, "register a new revision of entries already registered")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "validate and print the normalised entries; store nothing")
	return cmd
}

func newCatalogGetCmd(e *env) *cobra.Command {
	var dir string
	var as requesterFlags
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Print an entry (JSON that is also JSON-LD)",
		Long: `get prints the entry of an identifier (or of its IRI form) as registered: plain
JSON that is also JSON-LD under the DSP 2025-1 and xborder catalog contexts.` + catalogExitCodes,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCatalog(cmd.Context(), e, dir, false, func(c *catalog.Catalog, _ *sql.DB) error {
				who, err := as.requester(cmd.Context(), e)
				if err != nil {
					return err
				}
				en, err := c.Get(cmd.Context(), who, args[0])
				if err != nil {
					return catalogErr(err)
				}
				return printJSON(e, en)
			})
		},
	}
	addDataDirFlag(cmd, &dir)
	addAsFlag(cmd, &as)
	return cmd
}

// requesterFlags are --as and --credential: who asks, and the credentials
// it presents.
type requesterFlags struct {
	did   string
	creds []string
}

func addAsFlag(cmd *cobra.Command, as *requesterFlags) {
	cmd.Flags().StringVar(&as.did, "as", "", "act as this requester DID instead of the operator; \"anonymous\" for none")
	cmd.Flags().StringArrayVar(&as.creds, "credential", nil, "with --as: a verifiable credential the requester presents (repeatable); its subject must be the --as DID, and its claims are what an entry's access policy reads (claim:NAME)")
}

// requester is the operator, or with --as a requester with the claims of
// the credentials given with --credential, each verified (proof, validity,
// issuer key; status lists are not fetched here) and bound to the DID: its
// credentialSubject.id must be the --as DID.
func (f requesterFlags) requester(ctx context.Context, e *env) (catalog.Requester, error) {
	switch f.did {
	case "":
		if len(f.creds) > 0 {
			return catalog.Requester{}, badInput(errors.New("--credential needs --as"), "name the requester whose credentials these are")
		}
		return catalog.Operator(), nil
	case "anonymous":
		return catalog.Requester{}, nil
	}
	r := catalog.Requester{DID: f.did}
	if len(f.creds) == 0 {
		return r, nil
	}
	p, err := vc.New(vc.WithSM2())
	if err != nil {
		return r, failure(err)
	}
	res := identity.NewResolver(identity.ResolverOptions{})
	r.Claims = map[string]any{}
	for _, file := range f.creds {
		raw, err := readLimited(file, vc.MaxDocumentSize)
		if err != nil {
			return r, badInput(err, "give the credential file")
		}
		raw = bytes.TrimSpace(raw)
		opts := vc.VerifyOptions{RequireIssuerKey: true, Now: e.now()}
		var v *vc.Result
		if bytes.HasPrefix(raw, []byte("ey")) {
			v, err = p.VerifyJWT(ctx, raw, res, opts)
		} else {
			v, err = p.Verify(ctx, raw, res, opts)
		}
		if err != nil {
			return r, &exitError{code: exitFailure, err: fmt.Errorf("credential %s: %w", file, err)}
		}
		subjects, _ := v.Credential["credentialSubject"].([]any)
		if s, ok := v.Credential["credentialSubject"].(map[string]any); ok {
			subjects = []any{s}
		}
		bound := false
		for _, x := range subjects {
			s, _ := x.(map[string]any)
			if s == nil || s["id"] != f.did {
				continue
			}
			bound = true
			for k, val := range s {
				if k != "id" {
					r.Claims[k] = val
				}
			}
		}
		if !bound {
			return r, &exitError{code: exitFailure, err: fmt.Errorf("credential %s: its subject is not %s", file, f.did)}
		}
	}
	return r, nil
}

func newCatalogResolveCmd(e *env) *cobra.Command {
	var dir, root, token string
	var as requesterFlags
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "resolve ID [--root URL [--token T]]",
		Short: "Resolve an identifier: metadata and access interface",
		Long: `resolve maps an identifier to its metadata and access interface (the Dataspace
Protocol endpoint, the dataset URL there and the offers), after checking that the
requester may see it, and records the resolution (xborder catalog resolutions).

With --root it resolves through the federation instead: the root resolver names the
local resolver of the identifier's sovereignty code, which answers the requester
authenticated by --token (sent to the local resolver only, never to the root).` + catalogExitCodes,
		Example: `  xborder catalog resolve xb86/CN/gba-finance/retail-customers-2026
  xborder catalog resolve --root https://root.example --token "$TOKEN" xb86/DE/auto-eu/fleet-telemetry`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if root != "" {
				cl := &catalog.Client{Root: root, HTTP: &http.Client{Timeout: timeout}, Authorize: func(r *http.Request) error {
					if token != "" {
						r.Header.Set("Authorization", "Bearer "+token)
					}
					return nil
				}}
				res, err := cl.Resolve(ctx, args[0])
				if err != nil {
					return catalogErr(err)
				}
				return printJSON(e, res)
			}
			return withCatalog(ctx, e, dir, false, func(c *catalog.Catalog, _ *sql.DB) error {
				who, err := as.requester(ctx, e)
				if err != nil {
					return err
				}
				res, err := c.Resolve(ctx, who, args[0])
				if err != nil {
					return catalogErr(err)
				}
				return printJSON(e, res)
			})
		},
	}
	addDataDirFlag(cmd, &dir)
	addAsFlag(cmd, &as)
	cmd.Flags().StringVar(&root, "root", "", "resolve through this root resolver (base URL)")
	cmd.Flags().StringVar(&token, "token", "", "bearer token for the local resolver (with --root)")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "give up on a resolver after this long (with --root)")
	return cmd
}

func newCatalogExportCmd(e *env) *cobra.Command {
	var dir, out string
	var as requesterFlags
	var dsp bool
	cmd := &cobra.Command{
		Use:   "export [--dsp] [--out FILE]",
		Short: "Print the catalog as a DCAT catalog in JSON-LD",
		Long: `export writes the catalog as a dcat:Catalog (JSON that is also JSON-LD) with every
active entry, sorted by identifier. --dsp keeps to the Dataspace Protocol 2025-1
catalog: it needs the participant and the service (xborder catalog init) and keeps
only datasets with at least one offer and one distribution.` + catalogExitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCatalog(cmd.Context(), e, dir, false, func(c *catalog.Catalog, _ *sql.DB) error {
				who, err := as.requester(cmd.Context(), e)
				if err != nil {
					return err
				}
				if out == "" {
					_, err := c.Export(cmd.Context(), e.stdout, who, catalog.ExportOptions{DSP: dsp})
					return catalogErr(err)
				}
				f, err := atomicfile.Create(out, 0o644)
				if err != nil {
					return failure(err)
				}
				defer f.Abort()
				n, err := c.Export(cmd.Context(), f, who, catalog.ExportOptions{DSP: dsp})
				if err != nil {
					return catalogErr(err)
				}
				if err := f.Commit(); err != nil {
					return failure(err)
				}
				fmt.Fprintf(e.stderr, "xborder: wrote %d datasets to %s\n", n, out)
				return nil
			})
		},
	}
	addDataDirFlag(cmd, &dir)
	addAsFlag(cmd, &as)
	cmd.Flags().BoolVar(&dsp, "dsp", false, "a Dataspace Protocol 2025-1 catalog")
	cmd.Flags().StringVar(&out, "out", "", "write to this file instead of stdout")
	return cmd
}

func newCatalogRemoveCmd(e *env) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "remove ID",
		Short: "Withdraw an entry from search and resolution",
		Long: `remove withdraws an entry: it leaves search, and resolution answers that it was
withdrawn. The entry stays in the database; registering it again brings it back.` + catalogExitCodes,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCatalog(cmd.Context(), e, dir, false, func(c *catalog.Catalog, _ *sql.DB) error {
				if err := c.Withdraw(cmd.Context(), args[0]); err != nil {
					return catalogErr(err)
				}
				fmt.Fprintf(e.stderr, "xborder: withdrew %s\n", args[0])
				return nil
			})
		},
	}
	addDataDirFlag(cmd, &dir)
	return cmd
}

func newCatalogResolutionsCmd(e *env) *cobra.Command {
	var dir, id string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "resolutions [--id ID] [--limit N] [--json]",
		Short: "List the recorded resolutions: who asked for what, when, and the outcome",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if id != "" {
				pid, err := catalog.ParseRef(id)
				if err != nil {
					return catalogErr(err)
				}
				id = pid.String()
			}
			return withCatalog(cmd.Context(), e, dir, false, func(c *catalog.Catalog, db *sql.DB) error {
				recs, err := catalog.NewTableRecorder(db).List(cmd.Context(), catalog.ResolutionFilter{Identifier: id, Limit: limit})
				if err != nil {
					return failure(err)
				}
				if asJSON {
					if recs == nil {
						recs = []catalog.ResolutionRecord{}
					}
					return printJSON(e, recs)
				}
				for _, r := range recs {
					fmt.Fprintf(e.stdout, "%s  %-10s %-9s %s  %s\n", r.At.UTC().Format(time.RFC3339), r.Outcome, r.Resolver, dash(r.Identifier), dash(r.Requester))
				}
				return nil
			})
		},
	}
	addDataDirFlag(cmd, &dir)
	cmd.Flags().StringVar(&id, "id", "", "only the resolutions of this identifier")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many, newest first")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newCatalogContextCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "context",
		Short: "Print the xborder catalog JSON-LD context",
		Long: `context prints the JSON-LD context of the xborder catalog terms, the one entries
name as ` + catalog.ContextURL + `. xborder never fetches it: the copy
compiled into the binary is used. Publish it at that URL for other JSON-LD tools.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := e.stdout.Write(catalog.ContextDocument())
			return err
		},
	}
}
