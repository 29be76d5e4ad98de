package config

import (
	"errors"
	"io/fs"
	"testing"
)

func TestProblemString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Pos: Position{"a.yaml", 3}, Path: "key.type", Msg: "bad"}, "a.yaml:3: key.type: bad"},
		{Problem{Pos: Position{"a.yaml", 0}, Path: "key", Msg: "bad"}, "a.yaml: key: bad"},
		{Problem{Pos: Position{"a.yaml", 3}, Msg: "bad"}, "a.yaml:3: bad"},
		{Problem{Pos: Position{"", 3}, Msg: "bad"}, "line 3: bad"},
		{Problem{Path: "listen", Msg: "bad"}, "listen: bad"},
		{Problem{Msg: "two\nlines\n"}, "two\n    lines"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestJoin(t *testing.T) {
	t.Parallel()
	if Join() != nil || Join(nil, nil) != nil || Join(&Errors{}) != nil {
		t.Error("Join of nothing is not nil")
	}
	var none *Errors
	if none.Err() != nil {
		t.Error("nil *Errors has an error")
	}
	a := &Errors{Problems: []Problem{{Pos: Position{"a.yaml", 9}, Msg: "nine"}, {Pos: Position{"a.yaml", 2}, Msg: "two"}}}
	b := &Errors{Problems: []Problem{{Pos: Position{"a.yaml", 5}, Msg: "five"}}}
	other := &fs.PathError{Op: "open", Path: "k.pfx", Err: fs.ErrNotExist}
	err := Join(a, nil, other, b)
	want := "open k.pfx: file does not exist\na.yaml:2: two\na.yaml:5: five\na.yaml:9: nine"
	if err == nil || err.Error() != want {
		t.Errorf("Join:\n%v\nwant:\n%s", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("the joined error is lost to errors.Is")
	}
}
