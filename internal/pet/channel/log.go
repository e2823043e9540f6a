package channel

import (
	"encoding/binary"
	"log/slog"
)

const (
	slogDebug = slog.LevelDebug
	slogWarn  = slog.LevelWarn
)

func strAttr(k, v string) slog.Attr { return slog.String(k, trunc(v)) }

func putSeq(b []byte, seq uint64) { binary.BigEndian.PutUint64(b, seq) }
