package dn_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/signetid/signet/internal/certs/dn"
)

// extraParseSeeds are inputs beyond the table tests that reach corners of
// the parser.
var extraParseSeeds = []string{
	`CN="a"+O="b";OU="c" ,C=US`,
	`CN=\"\"\"`,
	`CN=""""`,
	`CN="\\\""`,
	`CN=a\,\,\,b`,
	`CN=\20a\20`,
	`CN=\e2\82\ac`,
	`CN= \ `,
	"CN=a\r\n,O=b\t",
	`OID.0.0=x+oid.1.39=y+2.4294967=z`,
	`CN=#0C00`,
	`CN=#1E04D83DDE00`,
	`CN=#1F1F0161`,
	`CN=#3003020101, O=#1C0400000061`,
	`E=a@b, DC=x, UID=y+SN=z, T=q, DNQ=w`,
	"CN=\u00a0a\u00a0",
	"CN=a\u2028b",
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.in)
		f.Add(tt.str)
	}
	for _, tt := range parseErrorTests {
		f.Add(tt.in)
	}
	for _, s := range extraParseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := dn.Parse(s)
		if err != nil {
			var se *dn.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error is %T, not *dn.SyntaxError: %v", s, err, err)
			}
			if se.Offset < 0 || se.Offset > len(s) || se.Input != s || se.Msg == "" {
				t.Fatalf("Parse(%q): bad SyntaxError %+v", s, se)
			}
			return
		}
		if len(n) == 0 {
			t.Fatalf("Parse(%q) returned an empty name", s)
		}

		str := n.String()
		m, err := dn.Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but Parse of its String %q: %v", s, str, err)
		}
		if !m.Equal(n) || !n.Equal(m) {
			t.Fatalf("Parse(%q).String() = %q parses to a name that is not Equal", s, str)
		}
		if again := m.String(); again != str {
			t.Fatalf("String is not stable: %q, then %q", str, again)
		}

		der, err := n.DER()
		if err != nil {
			t.Fatalf("Parse(%q) ok, but DER(): %v", s, err)
		}
		back, err := dn.FromDER(der)
		if err != nil {
			t.Fatalf("FromDER(Parse(%q).DER()): %v", s, err)
		}
		if !back.Equal(n) {
			t.Fatalf("FromDER(Parse(%q).DER()) is not Equal", s)
		}
		if again, err := back.DER(); err != nil || !bytes.Equal(again, der) {
			t.Fatalf("DER of FromDER(% X) = % X, %v", der, again, err)
		}
	})
}

func FuzzFromDER(f *testing.F) {
	for _, tt := range parseTests {
		if n, err := dn.Parse(tt.in); err == nil {
			if der, err := n.DER(); err == nil {
				f.Add(der)
			}
		}
	}
	for _, tt := range fromDERStringTests {
		oid := tt.oid
		if oid == nil {
			oid = dn.CommonName
		}
		f.Add(name(rdn(atv(oid, tt.value))))
	}
	good := atv(dn.CommonName, tlv(0x0C, []byte("a")))
	uid := atv(dn.UserID, tlv(0x1E, []byte{0, 'b'}))
	f.Add([]byte{0x30, 0x00})
	f.Add(name(rdn(uid, good)))
	f.Add(name(rdn(good, good), rdn(uid)))
	f.Add(name(good))
	f.Add(unhex("3080 0000"))
	f.Add(unhex("3081 00"))
	f.Add(name(rdn(tlv(0x30, unhex("0603 55 8004"), tlv(0x0C)))))
	f.Add(name(rdn(tlv(0x30, unhex("0606 55 8880808000"), tlv(0x0C)))))
	f.Add(name(rdn(tlv(0x30, unhex("0603 550403 1F80 1F 01 61")))))
	f.Fuzz(func(t *testing.T, der []byte) {
		n, err := dn.FromDER(der)
		if err != nil {
			return
		}

		out, err := n.DER()
		if err != nil {
			t.Fatalf("FromDER(% X) ok, but DER(): %v", der, err)
		}
		sorted := true
		for _, r := range n {
			sorted = sorted && len(r) <= 1
		}
		if sorted && !bytes.Equal(out, der) {
			t.Fatalf("FromDER(% X).DER() = % X", der, out)
		}
		m, err := dn.FromDER(out)
		if err != nil {
			t.Fatalf("FromDER(DER()) of % X: %v", der, err)
		}
		if !m.Equal(n) {
			t.Fatalf("FromDER(DER()) of % X is not Equal", der)
		}
		if again, err := m.DER(); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("DER is not stable for % X: % X, then % X (%v)", der, out, again, err)
		}

		s := n.String()
		if len(n) == 0 {
			if s != "" {
				t.Fatalf("empty name has String %q", s)
			}
			return
		}
		p, err := dn.Parse(s)
		if err != nil {
			t.Fatalf("FromDER(% X).String() = %q, which Parse refuses: %v", der, s, err)
		}
		if !p.Equal(n) || !n.Equal(p) {
			t.Fatalf("Parse(%q) is not Equal to FromDER(% X)", s, der)
		}
		if again := p.String(); again != s {
			t.Fatalf("String is not stable: %q, then %q", s, again)
		}
		if _, err := p.DER(); err != nil {
			t.Fatalf("Parse(%q).DER(): %v", s, err)
		}
	})
}
