package secagg

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Wire format of one message (all integers little-endian):
//
//	magic   "XBSA"      4 bytes
//	version 1           1 byte
//	round   1, 2 or 3   1 byte  (shares, count partials, value partials)
//	from    party index 2 bytes
//	to      party index 2 bytes
//	session             16 bytes
//	n       elements    4 bytes (at most MaxElements)
//	payload n × 16 bytes, each an element of Z_2^128 (lo limb, hi limb)
//
// The length must be exactly 30+16n. The receiver also checks the session,
// that "to" is itself, that "from" is another party of the run, that the
// round is one it expects and n is the length that round carries, and that
// it has not seen (from, round) before: a replay is refused.
const (
	headerLen = 30
	version   = 1
	// MaxElements bounds the elements in one message (16 MiB of payload).
	MaxElements = 1 << 20
)

var magic = [4]byte{'X', 'B', 'S', 'A'}

// Rounds of the protocol.
const (
	roundShares = 1 // party i → party j: share j of i's local vector
	roundCounts = 2 // broadcast: partial sums of the group counts
	roundValues = 3 // broadcast: partial sums of the other components of kept groups
)

// Errors a receiver returns for a refused message.
var (
	ErrMalformed = errors.New("secagg: malformed message")
	ErrReplay    = errors.New("secagg: replayed message")
	ErrSession   = errors.New("secagg: message for another session or party")
)

// SessionID binds every message to one run.
type SessionID [16]byte

// Message is one protocol message.
type Message struct {
	Round    uint8
	From, To uint16
	Session  SessionID
	Elems    []u128
}

// Encode returns the wire form of m.
func (m *Message) Encode() []byte {
	b := make([]byte, headerLen+16*len(m.Elems))
	copy(b, magic[:])
	b[4] = version
	b[5] = m.Round
	binary.LittleEndian.PutUint16(b[6:], m.From)
	binary.LittleEndian.PutUint16(b[8:], m.To)
	copy(b[10:26], m.Session[:])
	binary.LittleEndian.PutUint32(b[26:], uint32(len(m.Elems)))
	for i, e := range m.Elems {
		e.put(b[headerLen+16*i:])
	}
	return b
}

// DecodeMessage parses a message strictly: wrong magic, version, round,
// count or length is ErrMalformed.
func DecodeMessage(b []byte) (*Message, error) {
	if len(b) < headerLen {
		return nil, fmt.Errorf("%w: %d bytes, header is %d", ErrMalformed, len(b), headerLen)
	}
	if [4]byte(b[:4]) != magic {
		return nil, fmt.Errorf("%w: bad magic", ErrMalformed)
	}
	if b[4] != version {
		return nil, fmt.Errorf("%w: version %d", ErrMalformed, b[4])
	}
	m := &Message{Round: b[5], From: binary.LittleEndian.Uint16(b[6:]), To: binary.LittleEndian.Uint16(b[8:])}
	if m.Round < roundShares || m.Round > roundValues {
		return nil, fmt.Errorf("%w: round %d", ErrMalformed, m.Round)
	}
	copy(m.Session[:], b[10:26])
	n := binary.LittleEndian.Uint32(b[26:])
	if n > MaxElements {
		return nil, fmt.Errorf("%w: %d elements, at most %d", ErrMalformed, n, MaxElements)
	}
	if uint64(len(b)) != headerLen+16*uint64(n) {
		return nil, fmt.Errorf("%w: %d bytes for %d elements", ErrMalformed, len(b), n)
	}
	m.Elems = make([]u128, n)
	for i := range m.Elems {
		m.Elems[i] = getU128(b[headerLen+16*i:])
	}
	return m, nil
}

// inbox is one party's receiving side: it checks each message against the
// session and what it has already accepted, and files it by (round, from).
type inbox struct {
	session SessionID
	self    int
	parties int
	got     [roundValues + 1][]*Message
}

func newInbox(s SessionID, self, parties int) *inbox {
	in := &inbox{session: s, self: self, parties: parties}
	for r := range in.got {
		in.got[r] = make([]*Message, parties)
	}
	return in
}

// accept decodes and files a message; it refuses malformed messages,
// messages of another session or addressed to another party, and replays.
func (in *inbox) accept(b []byte) (*Message, error) {
	m, err := DecodeMessage(b)
	if err != nil {
		return nil, err
	}
	if m.Session != in.session {
		return nil, fmt.Errorf("%w: session %x", ErrSession, m.Session[:4])
	}
	if int(m.To) != in.self || int(m.From) >= in.parties || int(m.From) == in.self {
		return nil, fmt.Errorf("%w: from %d to %d at party %d", ErrSession, m.From, m.To, in.self)
	}
	if in.got[m.Round][m.From] != nil {
		return nil, fmt.Errorf("%w: round %d from party %d", ErrReplay, m.Round, m.From)
	}
	in.got[m.Round][m.From] = m
	return m, nil
}

// complete reports whether every other party's message of round r is in.
func (in *inbox) complete(r uint8) bool {
	for j, m := range in.got[r] {
		if j != in.self && m == nil {
			return false
		}
	}
	return true
}
