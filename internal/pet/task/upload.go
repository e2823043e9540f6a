package task

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/xborder/xborder/internal/audit"
	"os"
	"path/filepath"
	"strings"

	"github.com/xborder/xborder/internal/pet/input"
	"github.com/xborder/xborder/internal/suite"
)

// Uploads are stored content-addressed: the file is named by the SHA-256
// of the plaintext and holds nonce ‖ AEAD(plaintext) with the digest as
// associated data, under a key drawn for that upload and kept in
// task_uploads (the directory alone does not reveal the data; the
// database and the directory together do — protect both). Keys and
// contents are never logged.

func (s *Service) aead(name string, key []byte) (suite.AEAD, error) {
	if name == "sm4-gcm" {
		return suite.NewSM4GCM(key)
	}
	return suite.NewAES256GCM(key)
}

func (s *Service) suiteName() (string, int) {
	if s.opts.Suite == suite.GM {
		return "sm4-gcm", 16
	}
	return "aes-256-gcm", 32
}

// store encrypts and stores data; it returns the digest.
func (s *Service) storeUpload(ctx context.Context, taskID, dataset string, data []byte) (string, string, error) {
	sum := sha256.Sum256(data)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	var have string
	err := s.db.QueryRowContext(ctx, `SELECT suite FROM task_uploads WHERE digest = $1`, digest).Scan(&have)
	if err == nil {
		return digest, have, nil // the same content is stored once
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("looking up the upload: %w", err)
	}
	name, size := s.suiteName()
	key := make([]byte, size)
	if _, err := rand.Read(key); err != nil {
		return "", "", fmt.Errorf("drawing the upload's key: %w", err)
	}
	a, err := s.aead(name, key)
	if err != nil {
		return "", "", fmt.Errorf("encrypting the upload: %w", err)
	}
	nonce := make([]byte, a.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", "", fmt.Errorf("drawing the upload's nonce: %w", err)
	}
	ct := a.Seal(nonce, nonce, data, []byte(digest))
	path := filepath.Join(s.opts.Uploads, hex.EncodeToString(sum[:]))
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, ct, 0o600); err != nil {
		return "", "", fmt.Errorf("writing the upload: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", "", fmt.Errorf("writing the upload: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO task_uploads (digest, task_id, dataset, size, suite, data_key, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (digest) DO NOTHING`, digest, taskID, dataset, len(data), name, base64.StdEncoding.EncodeToString(key), ms(s.now())); err != nil {
		return "", "", fmt.Errorf("recording the upload: %w", err)
	}
	return digest, name, nil
}

// readUpload decrypts an upload.
func (s *Service) readUpload(ctx context.Context, digest string) ([]byte, error) {
	var name, k string
	err := s.db.QueryRowContext(ctx, `SELECT suite, data_key FROM task_uploads WHERE digest = $1`, digest).Scan(&name, &k)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, refuse(UploadNotFound, "%s", digest)
	}
	if err != nil {
		return nil, fmt.Errorf("looking up the upload: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(k)
	if err != nil {
		return nil, fmt.Errorf("reading the upload's key: %w", err)
	}
	a, err := s.aead(name, key)
	if err != nil {
		return nil, fmt.Errorf("decrypting the upload: %w", err)
	}
	ct, err := os.ReadFile(filepath.Join(s.opts.Uploads, strings.TrimPrefix(digest, "sha256:")))
	if err != nil {
		return nil, fmt.Errorf("reading the upload: %w", err)
	}
	if len(ct) < a.NonceSize() {
		return nil, errors.New("the stored upload is truncated")
	}
	pt, err := a.Open(nil, ct[:a.NonceSize()], ct[a.NonceSize():], []byte(digest))
	if err != nil {
		return nil, fmt.Errorf("decrypting the upload (tampered with?): %w", err)
	}
	if sum := sha256.Sum256(pt); "sha256:"+hex.EncodeToString(sum[:]) != digest {
		return nil, errors.New("the stored upload does not match its digest")
	}
	return pt, nil
}

// parsed is a party's parsed input.
type parsed struct {
	keys *input.Keys
	rows *input.Rows
}

// parseInput reads the columns the algorithm needs from data.
func (s *Service) parseInput(sp *Spec, a *algorithm, role string, cols Columns, data []byte) (*parsed, *Error) {
	r := bytes.NewReader(data)
	if a.Kind == "psi" {
		val := ""
		if a.impl.op == "sum" && role == "b" {
			if cols.Value == "" {
				return nil, refuse(InputInvalid, "PSI-sum needs party b's value column")
			}
			val = cols.Value
		}
		if cols.Key == "" || cols.GroupBy != "" || (cols.Value != "" && val == "") {
			return nil, refuse(InputInvalid, "PSI takes a key column (and party b's value column for sum)")
		}
		k, err := input.ReadKeys(r, cols.Key, val, s.opts.MaxRows)
		if err != nil {
			return nil, refuse(InputInvalid, "%v", err)
		}
		if b := sp.Params.ValueBound; b > 0 {
			for i, v := range k.Values {
				k.Values[i] = min(v, uint64(b))
			}
		}
		return &parsed{keys: k}, nil
	}
	if cols.Key != "" || (a.impl.op != "count" && cols.Value == "") || (len(sp.Params.Groups) > 0) != (cols.GroupBy != "") {
		return nil, refuse(InputInvalid, "aggregation takes the value column (not for count) and the group-by column exactly when the task has groups")
	}
	rows, err := input.ReadRows(r, cols.Value, cols.GroupBy, sp.Params.Scale, s.opts.MaxRows)
	if err != nil {
		return nil, refuse(InputInvalid, "%v", err)
	}
	return &parsed{rows: rows}, nil
}

// eraseInput erases, in tx, this node's input of the task id that is
// ending: the upload's key row is deleted (the ciphertext is then
// unreadable; the caller removes the file after the commit), unless the
// upload was made for a dataset, or a task that has not ended authorized
// the same content. The erasure is an event of the task and, first, an
// audit entry. It returns the digest erased, "" if none.
func (s *Service) eraseInput(ctx context.Context, tx *sql.Tx, id string, now int64) (string, error) {
	var digest, dataset string
	err := tx.QueryRowContext(ctx, `SELECT upload FROM task_inputs WHERE task_id = $1 AND party = $2`, id, s.self).Scan(&digest)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && digest == "") {
		return "", nil // this node contributed nothing
	}
	if err != nil {
		return "", fmt.Errorf("erasing the task's input: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT dataset FROM task_uploads WHERE digest = $1`, digest).Scan(&dataset); errors.Is(err, sql.ErrNoRows) {
		return "", nil // erased already
	} else if err != nil {
		return "", fmt.Errorf("erasing the task's input: %w", err)
	}
	var inUse int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM task_inputs i JOIN task_tasks t ON t.id = i.task_id
		WHERE i.upload = $1 AND i.party = $2 AND t.id <> $3 AND t.state NOT IN ($4, $5, $6)`,
		digest, s.self, id, StateSucceeded, StateFailed, StateCancelled).Scan(&inUse); err != nil {
		return "", fmt.Errorf("erasing the task's input: %w", err)
	}
	if dataset != "" || inUse > 0 {
		return "", nil
	}
	sum := sha256.Sum256([]byte(digest))
	if err := s.opts.Audit.Append(ctx, &audit.Event{Actor: s.self, Time: s.now().UTC(), Operation: audit.OpAdminChange, ObjectID: id,
		ObjectKind: audit.KindTask, Result: audit.ResultSuccess, Reason: "input_erased", DetailsDigest: "sha256:" + hex.EncodeToString(sum[:])}); err != nil {
		s.log.ErrorContext(ctx, "auditing a task input's erasure failed", "task", id, "error", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM task_uploads WHERE digest = $1`, digest); err != nil {
		return "", fmt.Errorf("erasing the task's input: %w", err)
	}
	if err := addEvent(ctx, tx, id, now, "input_erased", s.self, digest); err != nil {
		return "", err
	}
	return digest, nil
}
