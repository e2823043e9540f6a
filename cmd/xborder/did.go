package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/identity"
)

func newDIDCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "did",
		Short: "Create and resolve decentralized identifiers (did:key, did:web)",
	}
	var method, keyFile, host, dsp, credService string
	var path []string
	create := &cobra.Command{
		Use:   "create --method key|web --key FILE [--host example.com [--path datasets/42]]",
		Short: "Print the DID document for a key",
		Long: `create prints a DID document (DID Core 1.0) for the key in FILE. With --method key
the DID is the key itself (did:key), resolvable offline. With --method web the DID
names the HTTPS host that will serve the document (did:web): publish the output at
https://HOST/.well-known/did.json, or at https://HOST/PATH/did.json with --path.
--dsp and --credential-service add the Dataspace Protocol DataService and the
Decentralized Claims Protocol CredentialService endpoints.`,
		Example: `  xborder did create --method key --key issuer.pem
  xborder did create --method web --key node.pem --host connector.example.com \
      --dsp https://connector.example.com/dsp`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile == "" {
				return badInput(errors.New("--key is required"), "make one with: xborder key generate --out key.pem")
			}
			s, err := e.signer(keyFile)
			if err != nil {
				return err
			}
			var doc *identity.Document
			switch method {
			case "key":
				if host != "" || len(path) > 0 {
					return badInput(errors.New("--host and --path apply to --method web only"), "")
				}
				k, err := identity.NewKeyDID(s.Alg(), s.Public())
				if err != nil {
					return failure(err)
				}
				doc = k.Document()
			case "web":
				if host == "" {
					return badInput(errors.New("--method web needs --host"), "give the host that will serve the document, e.g. --host example.com")
				}
				did, err := identity.NewWebDID(host, path...)
				if err != nil {
					return badInput(err, "the host is a domain name with an optional :port; no IP addresses")
				}
				if doc, err = identity.NewDocument(did); err != nil {
					return failure(err)
				}
				vm, err := identity.NewMultikeyMethod(did+"#key-1", did, s.Alg(), s.Public())
				if err != nil {
					return failure(err)
				}
				if err := doc.AddVerificationMethod(*vm, identity.Authentication, identity.AssertionMethod,
					identity.CapabilityInvocation, identity.CapabilityDelegation); err != nil {
					return failure(err)
				}
			default:
				return badInput(fmt.Errorf("--method %q: accepted: key, web", method), "")
			}
			if dsp != "" {
				if err := doc.AddDataService(doc.ID+"#dsp", dsp); err != nil {
					return badInput(err, "give the connector's DSP base URL, e.g. https://example.com/dsp")
				}
			}
			if credService != "" {
				if err := doc.AddCredentialService(doc.ID+"#credential-service", credService); err != nil {
					return badInput(err, "give the credential service URL")
				}
			}
			return printJSON(e, doc)
		},
	}
	create.Flags().StringVar(&method, "method", "key", "key or web")
	create.Flags().StringVar(&keyFile, "key", "", "private key: a PEM file (xborder key generate) or store:NAME")
	create.Flags().StringVar(&host, "host", "", "did:web host, e.g. example.com or localhost:8443")
	create.Flags().StringSliceVar(&path, "path", nil, "did:web path segments, e.g. datasets,42")
	create.Flags().StringVar(&dsp, "dsp", "", "add a DataService endpoint (Dataspace Protocol base URL)")
	create.Flags().StringVar(&credService, "credential-service", "", "add a CredentialService endpoint")

	var timeout time.Duration
	resolve := &cobra.Command{
		Use:   "resolve DID",
		Short: "Resolve a DID and print the resolution result",
		Long: `resolve prints the DID resolution result (didDocument, didResolutionMetadata,
didDocumentMetadata). did:key resolves offline; did:web fetches
https://HOST/.well-known/did.json (or the path form) over HTTPS.

EXIT CODES
  0  resolved
  1  not resolved: notFound, invalidDidDocument, internalError (the code is in the output)
  2  bad usage, or an invalid DID (invalidDid)`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := identity.NewResolver(identity.ResolverOptions{
				HTTPClient: &http.Client{Timeout: timeout},
				Timeout:    timeout,
			})
			res, err := r.Resolve(cmd.Context(), strings.TrimSpace(args[0]))
			if res != nil {
				if perr := printJSON(e, res); perr != nil {
					return perr
				}
			}
			if err != nil {
				switch identity.Code(err) {
				case "invalidDid", "methodNotSupported":
					return badInput(err, "a DID looks like did:key:z6Mk… or did:web:example.com")
				}
				return &exitError{code: exitFailure, err: err}
			}
			return nil
		},
	}
	resolve.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "give up resolving after this long")
	cmd.AddCommand(create, resolve)
	return cmd
}

func printJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
