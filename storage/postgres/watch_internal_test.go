package postgres

import "testing"

// The watcher routes a notification to the watches of its topic only, a
// reconnection to all of them, and coalesces what a watch has not read. It
// sends synchronously, so a channel left empty was not sent to.
func TestWatcherRoutes(t *testing.T) {
	t.Parallel()
	w := &watcher{subs: map[chan struct{}]topic{}}
	config, keys := make(chan struct{}, 1), make(chan struct{}, 1)
	w.subs[config], w.subs[keys] = topicConfig, topicKeys
	got := func() string {
		var s string
		for _, c := range []struct {
			name string
			ch   chan struct{}
		}{{"config", config}, {"keys", keys}} {
			select {
			case <-c.ch:
				s += c.name + " "
			default:
			}
		}
		return s
	}
	for _, tt := range []struct {
		payloads []string // notified in turn, then read
		want     string
	}{
		{[]string{"42"}, "config "},
		{[]string{keysPayload}, "keys "},
		{[]string{"42", "43", "44"}, "config "}, // coalesced
		{[]string{keysPayload, "7"}, "config keys "},
		{nil, ""},
	} {
		for _, p := range tt.payloads {
			w.notify(topicOf(p))
		}
		if g := got(); g != tt.want {
			t.Errorf("after %q the watches woken are %q, want %q", tt.payloads, g, tt.want)
		}
	}
	w.notify(topicAll)
	if g := got(); g != "config keys " {
		t.Errorf("after a reconnection the watches woken are %q, want both", g)
	}
	w.closeAll()
	if _, ok := <-config; ok {
		t.Error("a watch channel is open after closeAll")
	}
}
