package browsertest_test

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/signetid/signet/internal/testsupport/browsertest"
)

func TestFormValues(t *testing.T) {
	t.Parallel()
	body := `<p>x</p><form method="POST" action="/account/login?a=1&amp;b=2">
<input type="hidden" name="token" value="t&amp;1">
<input name="username" value="">
<input type="checkbox" name="scope" value="openid" checked disabled>
<input type="checkbox" name="scope" value="profile" checked>
<input type="checkbox" name="scope" value="email">
<input type="submit">
<button name="decision" value="allow">Allow</button></form>`
	fs := browsertest.Forms(body)
	if len(fs) != 1 {
		t.Fatalf("%d forms, want 1", len(fs))
	}
	f := fs[0]
	if f.Action != "/account/login?a=1&b=2" || f.Method != "post" || len(f.Buttons) != 1 || f.Buttons[0].Value != "allow" {
		t.Fatalf("form %+v", f)
	}
	if in, ok := f.Input("token"); !ok || in.Value != "t&1" || in.Type != "hidden" {
		t.Errorf("token input %+v, %v", in, ok)
	}
	if _, ok := f.Input("password"); ok {
		t.Error("an input the form does not have was found")
	}
	got := f.Values("decision=allow", url.Values{"username": {"alice"}}, "token")
	want := url.Values{"username": {"alice"}, "scope": {"profile"}, "decision": {"allow"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values %v, want %v", got, want)
	}
}
