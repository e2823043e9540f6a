//go:build !unix

package audit

// lockDir is a no-op where flock is unavailable; one process per data
// directory is then the operator's responsibility.
func lockDir(string) (func(), error) { return func() {}, nil }
