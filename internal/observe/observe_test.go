package observe_test

import (
	"context"
	"testing"

	"github.com/signetid/signet/internal/observe"
)

func TestMulti(t *testing.T) {
	t.Parallel()
	var got []string
	rec := func(tag string) observe.Observer {
		return observe.Func(func(_ context.Context, e *observe.Event) { got = append(got, tag+":"+e.Name) })
	}
	if observe.Multi() != observe.Discard || observe.Multi(nil, observe.Discard) != observe.Discard || observe.Or(nil) != observe.Discard {
		t.Error("Multi of nothing is not Discard")
	}
	one := rec("a")
	observe.Multi(nil, one).Observe(context.Background(), &observe.Event{Name: observe.Logout})
	observe.Multi(rec("b"), nil, rec("c")).Observe(context.Background(), &observe.Event{Name: observe.TokenIssued})
	observe.Or(nil).Observe(context.Background(), &observe.Event{Name: observe.KeyLoaded})
	want := []string{"a:logout", "b:token.issued", "c:token.issued"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
