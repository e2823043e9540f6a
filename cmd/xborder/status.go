package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/statuslist"
	"github.com/xborder/xborder/internal/vc"
)

// statusDir is where an issuer's status lists live in the data directory.
func statusDir(e *env, flag string) string { return filepath.Join(dataDir(e, flag), "status") }

func openStatusStore(e *env, dirFlag string, create bool) (*statuslist.Store, error) {
	dir := statusDir(e, dirFlag)
	if !create {
		if _, err := os.Stat(dir); err != nil {
			return nil, badInput(fmt.Errorf("no status lists in %s", dir), "create one with: xborder vc status create --id ID --url URL")
		}
	}
	s, err := statuslist.OpenStore(dir, statuslist.StoreOptions{Now: e.now})
	if err != nil {
		return nil, failure(err)
	}
	return s, nil
}

// listByURL finds the store's list published at url.
func listByURL(s *statuslist.Store, url string) (statuslist.ListInfo, error) {
	for _, l := range s.Lists() {
		if l.URL == url {
			return l, nil
		}
	}
	return statuslist.ListInfo{}, badInput(fmt.Errorf("no status list is published at %s", url), "xborder vc status list shows the lists")
}

func newVCStatusCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Manage the issuer's Bitstring Status Lists (revocation, suspension)",
		Long: `An issuer keeps its status lists in DATA_DIR/status (W3C Bitstring Status List
v1.0, 131,072 entries or more so that one credential cannot be told from the
others). 'vc issue --status-list URL' gives each new credential a random free
entry; 'vc revoke' and 'vc suspend' set it; 'vc status publish' signs the list
credential to host at its URL, where verifiers fetch it.`,
	}
	var dir, id, url, purpose string
	var size int
	create := &cobra.Command{
		Use:   "create --id ID --url URL [--purpose revocation|suspension]",
		Short: "Create an empty status list",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if id == "" || url == "" {
				return badInput(errors.New("--id and --url are required"), "the URL is where the list credential will be published")
			}
			s, err := openStatusStore(e, dir, true)
			if err != nil {
				return err
			}
			info, err := s.Create(cmd.Context(), statuslist.ListConfig{ID: id, URL: url, Purpose: statuslist.Purpose(purpose), Size: size})
			if err != nil {
				return badInput(err, "ids are letters, digits, _ and -; purposes revocation or suspension")
			}
			return printJSON(e, info)
		},
	}
	create.Flags().StringVar(&id, "id", "", "name of the list in the data directory")
	create.Flags().StringVar(&url, "url", "", "URL the list credential will be published at")
	create.Flags().StringVar(&purpose, "purpose", "revocation", "revocation or suspension")
	create.Flags().IntVar(&size, "size", 0, "entries (default and minimum 131072)")
	create.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the status lists and their use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openStatusStore(e, dir, false)
			if err != nil {
				return err
			}
			infos := s.Lists()
			if infos == nil {
				infos = []statuslist.ListInfo{}
			}
			return printJSON(e, infos)
		},
	}
	list.Flags().StringVar(&dir, "data-dir", "", "data directory")

	var keyFile string
	var validFor time.Duration
	publish := &cobra.Command{
		Use:   "publish --url URL --key FILE",
		Short: "Print the signed status list credential to host at its URL",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if url == "" || keyFile == "" {
				return badInput(errors.New("--url and --key are required"), "")
			}
			s, err := openStatusStore(e, dir, false)
			if err != nil {
				return err
			}
			info, err := listByURL(s, url)
			if err != nil {
				return err
			}
			signer, err := e.signer(keyFile)
			if err != nil {
				return err
			}
			k, err := identity.NewKeyDID(signer.Alg(), signer.Public())
			if err != nil {
				return failure(err)
			}
			p, err := vc.New(vc.WithSM2())
			if err != nil {
				return failure(err)
			}
			pub, err := statuslist.NewPublisher(statuslist.PublisherOptions{
				Store: s, Processor: p, Issuer: k.DID, Signer: signer, VerificationMethod: k.VerificationMethodID(),
				ValidFor: validFor, Now: e.now,
			})
			if err != nil {
				return failure(err)
			}
			cred, _, err := pub.Credential(cmd.Context(), info.ID)
			if err != nil {
				return failure(err)
			}
			return writeIndented(e, cred)
		},
	}
	publish.Flags().StringVar(&url, "url", "", "URL of the list")
	publish.Flags().StringVar(&keyFile, "key", "", "the issuer's key (the same that issues the credentials): a PEM file or store:NAME")
	publish.Flags().DurationVar(&validFor, "valid-for", statuslist.DefaultValidFor, "validity of the signed list; publish again before it ends")
	publish.Flags().StringVar(&dir, "data-dir", "", "data directory")
	cmd.AddCommand(create, list, publish)
	return cmd
}

// newVCSetStatusCmd makes vc revoke, vc suspend and vc unsuspend.
func newVCSetStatusCmd(e *env, verb string, purpose statuslist.Purpose, set bool) *cobra.Command {
	var dir, url string
	var index int
	cmd := &cobra.Command{
		Use:   verb + " --status-list URL --index N",
		Short: map[string]string{"revoke": "Revoke a credential (permanent)", "suspend": "Suspend a credential", "unsuspend": "Lift a suspension"}[verb],
		Long: `The credential's credentialStatus names its list (statusListCredential) and its
index (statusListIndex). The change reaches verifiers when the list is published
again (xborder vc status publish).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if url == "" || index < 0 {
				return badInput(errors.New("--status-list and --index are required"), "both are in the credential's credentialStatus")
			}
			s, err := openStatusStore(e, dir, false)
			if err != nil {
				return err
			}
			info, err := listByURL(s, url)
			if err != nil {
				return err
			}
			if info.Purpose != purpose {
				return badInput(fmt.Errorf("the list at %s is a %s list; %s needs a %s list", url, info.Purpose, verb, purpose), "")
			}
			if set {
				err = s.Set(cmd.Context(), info.ID, index)
			} else {
				err = s.Clear(cmd.Context(), info.ID, index)
			}
			if err != nil {
				return badInput(err, "")
			}
			fmt.Fprintf(e.stderr, "xborder: %s: %s index %d; publish the list again for verifiers to see it\n", verb, url, index)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "status-list", "", "statusListCredential URL of the credential")
	cmd.Flags().IntVar(&index, "index", -1, "statusListIndex of the credential")
	cmd.Flags().StringVar(&dir, "data-dir", "", "data directory")
	return cmd
}

// allocateStatus gives a new credential an entry of the list at url.
func allocateStatus(ctx context.Context, e *env, dir, url string) (map[string]any, error) {
	s, err := openStatusStore(e, dir, false)
	if err != nil {
		return nil, err
	}
	info, err := listByURL(s, url)
	if err != nil {
		return nil, err
	}
	entry, err := s.Allocate(ctx, info.ID)
	if err != nil {
		return nil, failure(err)
	}
	return entry.Map(), nil
}

// statusFetcher fetches status list credentials: the files given with
// --status-file URL=FILE, else over HTTPS (never from private addresses:
// the URL comes from whoever presents the credential).
func statusFetcher(files []string) (statuslist.Fetcher, error) {
	local := map[string]string{}
	for _, f := range files {
		u, path, ok := strings.Cut(f, "=")
		if !ok {
			return nil, badInput(fmt.Errorf("--status-file %q: want URL=FILE", f), "")
		}
		local[u] = path
	}
	remote := &statuslist.HTTPFetcher{DenyPrivateAddresses: true}
	return statuslist.FetcherFunc(func(ctx context.Context, url string) ([]byte, error) {
		if path, ok := local[url]; ok {
			return readLimited(path, vc.MaxDocumentSize)
		}
		return remote.Fetch(ctx, url)
	}), nil
}
