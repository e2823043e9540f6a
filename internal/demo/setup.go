package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xborder/xborder/internal/node"
	"github.com/xborder/xborder/internal/witness"
)

// The first steps: who the parties are, their connectors, the data.

// identities: keys, DIDs and credentials; the counterparties' countries
// from their verified credentials.
func (d *Demo) identities(ctx context.Context, s *Step) error {
	now := d.opts.Now()
	ts, err := issueIdentities(ctx, d.parties, d.opts.Dir, now)
	if err != nil {
		return err
	}
	var creds []string
	for _, p := range d.parties {
		creds = append(creds, p.cred)
	}
	vps, err := verifyParticipants(ctx, ts, creds, now)
	if err != nil {
		return err
	}
	d.story.participants, d.story.trust = vps, ts
	var parties []map[string]any
	for i, p := range d.parties {
		alg := "Ed25519"
		if p.suite == "gm" {
			alg = "SM2"
		}
		s.say(d.opts.Lang, fmt.Sprintf("%-2s %-26s %s (%s, suite %s)", p.country, p.name.en, p.did, alg, p.suite),
			fmt.Sprintf("%s %s：%s（%s，%s 套件）", p.country, p.name.zh, p.did, alg, p.suite))
		parties = append(parties, map[string]any{"id": p.id, "country": p.country, "did": p.did, "alg": alg, "suite": p.suite,
			"credential": filepath.Join(d.opts.Dir, "trust", p.id+".vc.jwt"), "issuer": vps[i].Anchor.EntryName})
	}
	s.say(d.opts.Lang, fmt.Sprintf("trust registry %s #1: %d registration authorities, signed by the data space operator", registryID, len(d.parties)),
		fmt.Sprintf("信任注册表 %s 第 1 版：%d 个登记机关，由数据空间运营方签名", registryID, len(d.parties)))
	var issuers []text
	for _, p := range d.parties {
		issuers = append(issuers, text{p.country + " " + p.issuer.en, p.country + " " + p.issuer.zh})
	}
	s.say(d.opts.Lang, fmt.Sprintf("each party's %s (vc+jwt) verified, its issuer accepted for its country: %s", credentialType, join(issuers, "en", "; ")),
		fmt.Sprintf("各方的 %s（vc+jwt）均已验证，签发方经注册表认可：%s", credentialType, join(issuers, "zh", "；")))
	s.Facts["parties"] = parties
	s.Facts["registry"] = map[string]any{"id": registryID, "sequence": 1, "file": filepath.Join(d.opts.Dir, "trust", "registry.json")}
	return nil
}

// config is a party's connector configuration.
func (d *Demo) config(p *party) node.Config {
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.Name, cfg.DID, cfg.Jurisdiction, cfg.Suite = p.dir, p.name.en+" (demo)", p.did, p.country, p.suite
	cfg.Listen = node.Listen{Public: "127.0.0.1:0", Management: "127.0.0.1:0"}
	cfg.Egress.AllowPrivate = true // the three connectors share loopback
	// Its credential, presented over DCP to the providers it calls, and the
	// registry whose issuers it accepts in its callers' credentials.
	cfg.Credentials = []string{filepath.Join(d.opts.Dir, "trust", p.id+".vc.jwt")}
	if ts := d.story.trust; ts != nil {
		cfg.Trust = node.TrustConfig{Registry: ts.file, ID: registryID, Operators: []string{ts.operator}}
	}
	return cfg
}

// connectors: the Amsterdam centre's witness, then the three connectors;
// the Shenzhen ledger publishes only checkpoints the witness cosigned.
func (d *Demo) connectors(ctx context.Context, s *Step) error {
	cncfg := d.config(d.cn)
	keys, err := node.InitLedger(cncfg)
	if err != nil {
		return err
	}
	const witnessName = "witness.amsterdam-research.demo"
	if d.witness, err = startWitness(filepath.Join(d.nl.dir, "witness"), witnessName, keys); err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	policy := fmt.Sprintf("# The Amsterdam research centre's witness must cosign every checkpoint.\nwitness amsterdam %s %s\nquorum amsterdam\n", d.witness.key, d.witness.url)
	if err := os.WriteFile(filepath.Join(d.cn.dir, "audit", node.WitnessPolicyFile), []byte(policy), 0o600); err != nil {
		return err
	}
	// What an auditor is given out of band: the ledger's key and the
	// witness policy (without the submission URL).
	d.ledger.keys = keys
	if d.ledger.policy, err = witness.ParsePolicy([]byte(fmt.Sprintf("witness amsterdam %s\nquorum amsterdam\n", d.witness.key))); err != nil {
		return err
	}
	var countries []string
	for _, v := range d.story.participants {
		if v.DID != d.cn.did {
			countries = append(countries, v.Country)
		}
	}
	for _, p := range d.parties {
		cfg := d.config(p)
		if p == d.cn {
			cfg.ParkFilings = true
			// The hospital's floor for privacy computing: no count below
			// minShown is shown, and no intersection's ids ever leave.
			cfg.PET.MinIntersection, cfg.PET.NoKeys = minShown, true
		}
		if err := d.openNode(ctx, p, cfg); err != nil {
			return err
		}
		s.say(d.opts.Lang, fmt.Sprintf("%-2s %-26s public %s  management %s", p.country, p.name.en, p.node.PublicURL, p.node.MgmtURL),
			fmt.Sprintf("%s %s：公共接口 %s，管理接口 %s", p.country, p.name.zh, p.node.PublicURL, p.node.MgmtURL))
	}
	s.say(d.opts.Lang,
		fmt.Sprintf("the CN audit ledger (%s) signs its checkpoints with Ed25519 and SM2, and publishes only those the NL centre's witness (%s, %s) cosigned",
			abbrev(keys.Origin), witnessName, d.witness.url),
		fmt.Sprintf("CN 审计账本（%s）以 Ed25519 和 SM2 签署检查点，且只发布经 NL 中心见证方 %s（%s）联署的检查点",
			abbrev(keys.Origin), witnessName, d.witness.url))
	s.say(d.opts.Lang,
		fmt.Sprintf("the CN compliance gate learns a caller's country from the %s it presents over DCP, checked against the registry (%s)", credentialType, strings.Join(countries, ", ")),
		fmt.Sprintf("CN 合规闸口依据对方经 DCP 出示、并经注册表核验的 %s 确定其所在地（%s）", credentialType, strings.Join(countries, "、")))
	s.Facts["nodes"] = d.Nodes()
	s.Facts["witness"] = map[string]any{"name": witnessName, "url": d.witness.url, "key": d.witness.key, "dir": filepath.Join(d.nl.dir, "witness")}
	s.Facts["cnLedger"] = map[string]any{"origin": keys.Origin, "key": keys.Key, "sm2Key": keys.SM2Key}
	return nil
}

// abbrev shortens a DID-like identifier for the narrative.
func abbrev(s string) string {
	if len(s) <= 28 {
		return s
	}
	return s[:20] + "…" + s[len(s)-6:]
}

// data: the hospital's export, generated.
func (d *Demo) data(_ context.Context, s *Step) error {
	dir := filepath.Join(d.cn.dir, "export")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(dir, "oncology-cases.csv")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	h := sha256.New()
	err = writeClinical(io.MultiWriter(f, h), d.opts.Seed, d.opts.Rows)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	d.story.csv, d.story.csvSize, d.story.csvSHA = path, fi.Size(), hex.EncodeToString(h.Sum(nil))
	s.say(d.opts.Lang,
		fmt.Sprintf("%s synthetic oncology cases (seed %d): name, sex, birth date, resident ID, mobile, ICD-10 diagnosis, stage, date, treatment", num(d.opts.Rows), d.opts.Seed),
		fmt.Sprintf("%s 条合成肿瘤病例（种子 %d）：姓名、性别、出生日期、身份证号、手机号、ICD-10 诊断、分期、确诊日期、治疗方案", num(d.opts.Rows), d.opts.Seed))
	s.say(d.opts.Lang, fmt.Sprintf("%s (%s, sha256 %s…)", path, size(fi.Size()), d.story.csvSHA[:16]),
		fmt.Sprintf("%s（%s，sha256 %s…）", path, size(fi.Size()), d.story.csvSHA[:16]))
	s.Facts["file"], s.Facts["rows"], s.Facts["bytes"], s.Facts["sha256"], s.Facts["seed"] = path, d.opts.Rows, fi.Size(), d.story.csvSHA, d.opts.Seed
	return nil
}

// size formats a byte count (kB, MB: powers of 1000).
func size(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1_000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// num formats an integer with thousands separators.
func num[T int | int64](n T) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// join joins the phrases in lang with sep.
func join(ts []text, lang, sep string) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.in(lang)
	}
	return strings.Join(out, sep)
}
