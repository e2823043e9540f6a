//go:build !unix

package jsonld

import "time"

func processCPUTime() time.Duration { return 0 }
