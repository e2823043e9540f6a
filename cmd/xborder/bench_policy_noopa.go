//go:build !opa

package main

import (
	"context"
	"errors"

	"github.com/xborder/xborder/internal/odrl"
)

// opaBuilt tells whether this build has the OPA comparison.
const opaBuilt = false

// errNoOPA says the binary was built without OPA: the comparison needs
// `go run -tags opa ./cmd/xborder bench policy`. OPA is a large dependency
// (it adds about half again to the binary) used only for this comparison and for the
// equivalence tests of internal/odrl, so the product does not ship it.
var errNoOPA = errors.New("OPA is not in this build (build with -tags opa)")

func opaBaseline(context.Context, *odrl.Prepared, odrl.Request, odrl.Decision) (func(), func() error, string, error) {
	return nil, nil, "", errNoOPA
}
