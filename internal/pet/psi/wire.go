package psi

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Mode selects what the protocol outputs.
type Mode uint8

const (
	ModeIntersection Mode = 1 // the intersection itself
	ModeCardinality  Mode = 2 // its size only
	ModeSum          Mode = 3 // its size and the sum of B's values over it
)

func (m Mode) String() string {
	switch m {
	case ModeIntersection:
		return "intersection"
	case ModeCardinality:
		return "cardinality"
	case ModeSum:
		return "sum"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Step names a message of the protocol.
type Step uint8

const (
	StepPublicKey    Step = 1 // B→A, ModeSum: B's ElGamal public key, one 32-byte point
	StepMaskedA      Step = 2 // A→B: H(x)^a, 32-byte points
	StepDoubleMasked Step = 3 // B→A: (H(x)^a)^b, 16-byte tags
	StepMaskedB      Step = 4 // B→A: H(y)^b, 32-byte points (ModeSum: + 64-byte ciphertext)
	StepIndices      Step = 5 // A→B, ModeIntersection: positions in B's stream, 4 bytes each
	StepCount        Step = 6 // A→B, ModeCardinality and ModeSum: the size, one uint64
	StepAggregate    Step = 7 // A→B, ModeSum: the re-randomised sum ciphertext, 64 bytes
	StepSum          Step = 8 // B→A, ModeSum: the decrypted sum, one uint64
)

// MaxBatch is the largest number of items in one message.
const MaxBatch = 1 << 16

// MaxSessionLen bounds the session id.
const MaxSessionLen = 64

const (
	magic     = "XPSI"
	version   = 2
	headerLen = 4 + 1 + 1 + 1 + 1 + 1 + 4 + 4 + 1 // magic ver step mode group flags seq count sidlen
	flagLast  = 1
)

// Message is one protocol message. Items holds Count() fixed-width items
// back to back; the width follows from the step and the mode.
type Message struct {
	Session string
	Mode    Mode
	Group   Group
	Step    Step
	Seq     uint32
	Last    bool
	Items   []byte
}

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("psi: malformed message")

// itemWidth returns the width of the items of step in mode, or 0 when the
// step does not occur in that mode.
func itemWidth(s Step, m Mode) int {
	switch s {
	case StepPublicKey:
		if m == ModeSum {
			return pointLen
		}
	case StepMaskedA:
		return pointLen
	case StepDoubleMasked:
		return TagLen
	case StepMaskedB:
		if m == ModeSum {
			return 3 * pointLen
		}
		return pointLen
	case StepIndices:
		if m == ModeIntersection {
			return 4
		}
	case StepCount:
		if m == ModeCardinality || m == ModeSum {
			return 8
		}
	case StepAggregate:
		if m == ModeSum {
			return 2 * pointLen
		}
	case StepSum:
		if m == ModeSum {
			return 8
		}
	}
	return 0
}

// single reports whether step carries exactly one item in one message.
func single(s Step) bool {
	return s == StepPublicKey || s == StepCount || s == StepAggregate || s == StepSum
}

func validSession(s string) error {
	if len(s) == 0 || len(s) > MaxSessionLen {
		return fmt.Errorf("session id must be 1 to %d bytes", MaxSessionLen)
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':' || c == '/'
		if !ok {
			return fmt.Errorf("session id may hold only letters, digits and - _ . : /")
		}
	}
	return nil
}

func (m *Message) check() error {
	if err := validSession(m.Session); err != nil {
		return err
	}
	if !m.Group.valid() {
		return fmt.Errorf("unknown group %d", m.Group)
	}
	w := itemWidth(m.Step, m.Mode)
	if w == 0 {
		return fmt.Errorf("step %d does not occur in mode %v", m.Step, m.Mode)
	}
	if len(m.Items)%w != 0 {
		return fmt.Errorf("items of step %d are %d bytes each, got %d bytes", m.Step, w, len(m.Items))
	}
	n := len(m.Items) / w
	if n > MaxBatch {
		return fmt.Errorf("%d items in one message, at most %d", n, MaxBatch)
	}
	if single(m.Step) && (n != 1 || !m.Last) {
		return fmt.Errorf("step %d carries exactly one item in one last message", m.Step)
	}
	if n == 0 && !m.Last {
		return errors.New("an empty message must be the last of its step")
	}
	return nil
}

// Count returns the number of items.
func (m *Message) Count() int {
	w := itemWidth(m.Step, m.Mode)
	if w == 0 {
		return 0
	}
	return len(m.Items) / w
}

// Item returns item i.
func (m *Message) Item(i int) []byte {
	w := itemWidth(m.Step, m.Mode)
	return m.Items[i*w : (i+1)*w]
}

// MarshalBinary encodes m:
//
//	"XPSI" | version 2 | step | mode | group (0 ristretto255, 1 x25519) |
//	flags (bit 0: last) | seq u32 | count u32 |
//	session length u8 | session | count × item
//
// integers big-endian.
func (m *Message) MarshalBinary() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("psi: encode: %w", err)
	}
	b := make([]byte, 0, headerLen+len(m.Session)+len(m.Items))
	b = append(b, magic...)
	b = append(b, version, byte(m.Step), byte(m.Mode), byte(m.Group))
	var flags byte
	if m.Last {
		flags |= flagLast
	}
	b = append(b, flags)
	b = binary.BigEndian.AppendUint32(b, m.Seq)
	b = binary.BigEndian.AppendUint32(b, uint32(m.Count()))
	b = append(b, byte(len(m.Session)))
	b = append(b, m.Session...)
	b = append(b, m.Items...)
	return b, nil
}

// UnmarshalBinary decodes b strictly: every field must be valid and the
// length exact. Items is a copy.
func (m *Message) UnmarshalBinary(b []byte) error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
	}
	if len(b) < headerLen {
		return fail("%d bytes, shorter than the header", len(b))
	}
	if string(b[:4]) != magic {
		return fail("bad magic")
	}
	if b[4] != version {
		return fail("version %d, want %d", b[4], version)
	}
	step, mode, group, flags := Step(b[5]), Mode(b[6]), Group(b[7]), b[8]
	if !group.valid() {
		return fail("unknown group %d", group)
	}
	if flags&^flagLast != 0 {
		return fail("unknown flags %#x", flags)
	}
	seq := binary.BigEndian.Uint32(b[9:])
	count := binary.BigEndian.Uint32(b[13:])
	sl := int(b[17])
	if len(b) < headerLen+sl {
		return fail("truncated session id")
	}
	sess := string(b[headerLen : headerLen+sl])
	w := itemWidth(step, mode)
	if w == 0 {
		return fail("step %d does not occur in mode %d", step, mode)
	}
	if count > MaxBatch {
		return fail("%d items, at most %d", count, MaxBatch)
	}
	rest := b[headerLen+sl:]
	if len(rest) != int(count)*w {
		return fail("%d item bytes, want %d × %d", len(rest), count, w)
	}
	out := Message{Session: sess, Mode: mode, Group: group, Step: step, Seq: seq, Last: flags&flagLast != 0, Items: append([]byte{}, rest...)}
	if err := out.check(); err != nil {
		return fail("%v", err)
	}
	*m = out
	return nil
}

// ErrReplay is returned for a message that repeats, skips or reorders the
// sequence of its step, or arrives after its step is complete.
var ErrReplay = errors.New("psi: replayed or out-of-order message")

// ErrUnexpected is returned for a message of another session or mode, or a
// step the receiver does not expect now.
var ErrUnexpected = errors.New("psi: unexpected message")

// receiver checks that incoming messages belong to this session and mode
// and come in order: each step's messages numbered from 0, the last one
// flagged, the steps in the order the protocol sends them.
type receiver struct {
	session string
	mode    Mode
	group   Group
	steps   []Step // steps still to come, in order
	seq     uint32
}

// accept decodes b and checks it against the expected step.
func (r *receiver) accept(b []byte) (*Message, error) {
	var m Message
	if err := m.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	if m.Session != r.session {
		return nil, fmt.Errorf("%w: session %q, this is %q", ErrUnexpected, m.Session, r.session)
	}
	if m.Group != r.group {
		return nil, fmt.Errorf("%w: group %v, this session is %v", ErrUnexpected, m.Group, r.group)
	}
	if m.Mode != r.mode {
		return nil, fmt.Errorf("%w: mode %v, this session is %v", ErrUnexpected, m.Mode, r.mode)
	}
	if len(r.steps) == 0 {
		return nil, fmt.Errorf("%w: step %d after the protocol ended", ErrReplay, m.Step)
	}
	if m.Step != r.steps[0] {
		for _, s := range r.steps {
			if s == m.Step {
				return nil, fmt.Errorf("%w: step %d before step %d completed", ErrUnexpected, m.Step, r.steps[0])
			}
		}
		return nil, fmt.Errorf("%w: step %d, expecting step %d", ErrReplay, m.Step, r.steps[0])
	}
	if m.Seq != r.seq {
		return nil, fmt.Errorf("%w: step %d message %d, expecting %d", ErrReplay, m.Step, m.Seq, r.seq)
	}
	r.seq++
	if m.Last {
		r.steps = r.steps[1:]
		r.seq = 0
	}
	return &m, nil
}
