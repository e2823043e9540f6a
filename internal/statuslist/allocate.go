package statuslist

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Allocate hands out a free index of list id at random and returns its entry
// for the new credential's credentialStatus. The allocation is on disk before
// Allocate returns, so an index is never handed out twice.
func (s *Store) Allocate(ctx context.Context, id string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, errorf(CodeInternal, err, "allocating a status index")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.get(id)
	if err != nil {
		return Entry{}, err
	}
	if l.nAlloc >= l.f.Size {
		return Entry{}, errorf(CodeListFull, nil, fmt.Sprintf("status list %s: all %d indexes allocated", id, l.f.Size))
	}
	idx, err := s.pickFree(l)
	if err != nil {
		return Entry{}, err
	}
	l.allocated.Set(idx, true)
	if err := s.save(l); err != nil {
		l.allocated.Set(idx, false)
		return Entry{}, err
	}
	l.nAlloc++
	return NewEntry(l.f.URL, l.f.Purpose, idx), nil
}

// pickFree draws random indexes until a free one turns up; past a few dozen
// misses (a nearly full list) it scans forward from the last draw.
func (s *Store) pickFree(l *list) (int, error) {
	var buf [8]byte
	idx := 0
	for range 64 {
		if _, err := io.ReadFull(s.rand, buf[:]); err != nil {
			return 0, errorf(CodeInternal, err, "reading randomness for a status index")
		}
		idx = int(binary.BigEndian.Uint64(buf[:]) % uint64(l.f.Size))
		if used, _ := l.allocated.Get(idx); !used {
			return idx, nil
		}
	}
	for k := range l.f.Size {
		i := (idx + k) % l.f.Size
		if used, _ := l.allocated.Get(i); !used {
			return i, nil
		}
	}
	return 0, errorf(CodeListFull, nil, "status list "+l.f.ID)
}

// Entry returns the entry of an allocated index.
func (s *Store) Entry(id string, index int) (Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.get(id)
	if err != nil {
		return Entry{}, err
	}
	if err := checkAllocated(l, index); err != nil {
		return Entry{}, err
	}
	return NewEntry(l.f.URL, l.f.Purpose, index), nil
}

func checkAllocated(l *list, index int) error {
	used, err := l.allocated.Get(index)
	if err != nil {
		return fmt.Errorf("status list %s: %w", l.f.ID, err)
	}
	if !used {
		return errorf(CodeNotAllocated, nil, fmt.Sprintf("status list %s: index %d was never allocated", l.f.ID, index))
	}
	return nil
}

// Status reports whether the bit of index is set.
func (s *Store) Status(id string, index int) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.get(id)
	if err != nil {
		return false, err
	}
	return l.status.Get(index)
}

// Set sets the bit of an allocated index: revokes or suspends the
// credential, per the list's purpose. Setting a set bit is not an error.
func (s *Store) Set(ctx context.Context, id string, index int) error {
	return s.change(ctx, id, index, true)
}

// Clear clears the bit of an allocated index: lifts a suspension. Clearing a
// set bit of a revocation list is refused with CodeRevocationPermanent:
// revocation is final.
func (s *Store) Clear(ctx context.Context, id string, index int) error {
	return s.change(ctx, id, index, false)
}

func (s *Store) change(ctx context.Context, id string, index int, v bool) error {
	if err := ctx.Err(); err != nil {
		return errorf(CodeInternal, err, "changing a status bit")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.get(id)
	if err != nil {
		return err
	}
	if err := checkAllocated(l, index); err != nil {
		return err
	}
	cur, _ := l.status.Get(index)
	if cur == v {
		return nil
	}
	if !v && l.f.Purpose == PurposeRevocation {
		return errorf(CodeRevocationPermanent, nil, fmt.Sprintf("status list %s: index %d is revoked; revocation cannot be undone", id, index))
	}
	old := l.f
	l.status.Set(index, v)
	l.f.Revision++
	l.f.Updated = s.now().UTC().Truncate(time.Second)
	if err := s.save(l); err != nil {
		l.status.Set(index, cur)
		l.f = old
		return err
	}
	return nil
}
