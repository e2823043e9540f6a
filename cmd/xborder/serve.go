package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/node"
)

func newServeCmd(e *env) *cobra.Command {
	var cfgFile, dir, public, mgmt string
	cmd := &cobra.Command{
		Use:   "serve [--config xborder.yaml]",
		Short: "Run the connector: public endpoints, the management API, the audit ledger",
		Long: `serve runs the node from one data directory (embedded SQLite and files; no other service),
or with its state (catalog, contracts, DSP processes) on PostgreSQL: database: postgres://….

Configuration: a YAML file (--config) over documented defaults, then environment variables
(XBORDER_DATA_DIR, XBORDER_DATABASE, XBORDER_DID, XBORDER_LISTEN_PUBLIC, XBORDER_LISTEN_MANAGEMENT,
XBORDER_LOG_LEVEL, …), then flags. Listeners:

  public      (default 127.0.0.1:8443)  /.well-known/dspace-version, the audit read API (/audit/…:
              checkpoint, tiles, proofs); the Dataspace Protocol endpoints as they land
  management  (default 127.0.0.1:8444)  /api/v1 (bearer tokens with roles admin, compliance,
              operations, auditor; every decision audited), /openapi.json, /healthz, /readyz, /metrics

Create tokens with 'xborder serve token add --name NAME --role ROLE'. SIGINT/SIGTERM shut down
gracefully. See docs/serve.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := node.LoadConfig(cfgFile, e.getenv)
			if err != nil {
				return badInput(err, "see docs/serve.md for the configuration")
			}
			if dir != "" || cfg.DataDir == "" {
				cfg.DataDir = dataDir(e, dir)
			}
			if public != "" {
				cfg.Listen.Public = public
			}
			if mgmt != "" {
				cfg.Listen.Management = mgmt
			}
			if err := cfg.Validate(); err != nil {
				return badInput(err, "")
			}
			logger := newLogger(e, cfg.LogLevel, cfg.LogFormat)
			quietTessera()
			deps := node.Deps{Logger: logger}
			if cfg.Key != "" {
				if deps.Signer, err = loadSigner(cfg.Key); err != nil {
					return err
				}
			}
			n, err := node.Open(cmd.Context(), cfg, deps)
			if err != nil {
				return failure(err)
			}
			fmt.Fprintf(e.stderr, "xborder: serving %s: public %s, management %s (Ctrl-C to stop)\n", cfg.Name, n.PublicURL, n.MgmtURL)
			if err := n.Run(cmd.Context()); err != nil {
				return failure(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgFile, "config", "", "configuration file (YAML)")
	cmd.Flags().StringVar(&dir, "data-dir", "", "data directory (default: the config's, $XBORDER_DATA_DIR or ~/.xborder)")
	cmd.Flags().StringVar(&public, "listen-public", "", "public listener address (overrides the config)")
	cmd.Flags().StringVar(&mgmt, "listen-management", "", "management listener address (overrides the config)")
	cmd.AddCommand(newServeTokenCmd(e))
	return cmd
}

func newLogger(e *env, level, format string) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

func newServeTokenCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage the management API's bearer tokens (stored as SHA-256 hashes)"}
	var dir, name, role string
	open := func() (*node.Tokens, error) {
		d := dataDir(e, dir)
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, failure(err)
		}
		t, err := node.OpenTokens(filepath.Join(d, "tokens.json"))
		if err != nil {
			return nil, failure(err)
		}
		return t, nil
	}
	add := &cobra.Command{
		Use:   "add --name NAME --role admin|compliance|operations|auditor",
		Short: "Create a token; it is printed once and only its hash is kept",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := open()
			if err != nil {
				return err
			}
			tok, err := t.Add(name, node.Role(role), e.now())
			if err != nil {
				return badInput(err, "")
			}
			fmt.Fprintln(e.stdout, tok)
			fmt.Fprintf(e.stderr, "xborder: token %q (%s) created; it is shown only now — a running node reads new tokens at restart\n", name, role)
			return nil
		},
	}
	add.Flags().StringVar(&name, "name", "", "who holds it (recorded in the audit ledger with each call)")
	add.Flags().StringVar(&role, "role", "", "admin, compliance, operations or auditor")
	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (names, roles, creation times)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := open()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
			for _, x := range t.List() {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", x.Name, x.Role, x.Created.Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		},
	}
	remove := &cobra.Command{
		Use:   "remove --name NAME",
		Short: "Remove a token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return badInput(errors.New("--name is required"), "")
			}
			t, err := open()
			if err != nil {
				return err
			}
			if err := t.Remove(name); err != nil {
				return badInput(err, "")
			}
			return nil
		},
	}
	remove.Flags().StringVar(&name, "name", "", "token name")
	for _, c := range []*cobra.Command{add, list, remove} {
		c.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	}
	cmd.AddCommand(add, list, remove)
	return cmd
}
