package managed

import (
	"cmp"
	"slices"
	"time"

	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/storage"
)

// State is where a key is in its lifecycle.
type State string

// The states of a key, as `signet keys list` shows them.
const (
	// Announced: published, not signing yet (its Activates is ahead).
	Announced State = "announced"
	// Signing: the key of its algorithm that signs now.
	Signing State = "signing"
	// Retired: a newer key signs; published until its retention is over,
	// then deleted.
	Retired State = "retired"
)

// activates is when k starts signing; a key stored without an activation
// time is taken to activate when it was created.
func activates(k storage.SigningKey) time.Time {
	if k.Activates.IsZero() {
		return k.Created
	}
	return k.Activates
}

// compareKeys orders a series: by Activates, then Created, then ID.
func compareKeys(a, b storage.SigningKey) int {
	return cmp.Or(activates(a).Compare(activates(b)), a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
}

// seriesOf returns the keys of alg in rows, in lifecycle order.
func seriesOf(rows []storage.SigningKey, alg string) []storage.SigningKey {
	var s []storage.SigningKey
	for _, k := range rows {
		if k.Algorithm == alg {
			s = append(s, k)
		}
	}
	slices.SortFunc(s, compareKeys)
	return s
}

// algorithmsOf lists the algorithms of rows: those of configured first, in
// its order, then the others in byte order.
func algorithmsOf(rows []storage.SigningKey, configured []string) []string {
	algs := slices.Clone(configured)
	var others []string
	for _, k := range rows {
		if !slices.Contains(algs, k.Algorithm) && !slices.Contains(others, k.Algorithm) {
			others = append(others, k.Algorithm)
		}
	}
	slices.Sort(others)
	return append(algs, others...)
}

// signerAt is the index of the key of series that signs at t (the greatest
// Activates at or before t), or -1 if none does yet.
func signerAt(series []storage.SigningKey, t time.Time) int {
	i := -1
	for j, k := range series {
		if !activates(k).After(t) {
			i = j
		}
	}
	return i
}

// lifecycleOf derives the lifecycle of series[i]: announced when created,
// signing from its Activates until its successor's, published until the
// retention after that. The newest key's end is open.
func lifecycleOf(series []storage.SigningKey, i int, retention time.Duration) signing.Lifecycle {
	k := series[i]
	l := signing.Lifecycle{Announced: k.Created, SignFrom: activates(k)}
	if i+1 < len(series) {
		l.SignUntil = activates(series[i+1])
		l.PublishUntil = l.SignUntil.Add(retention)
	}
	return l
}

// stateOf is the state at t of series[i].
func stateOf(series []storage.SigningKey, i int, t time.Time) State {
	switch s := signerAt(series, t); {
	case i == s:
		return Signing
	case i > s:
		return Announced
	default:
		return Retired
	}
}

// display is what the stored Retires and Expires of series[i] should be:
// its successor's Activates and that plus the retention; zero for the
// newest. They are kept for display (and for storage.Cleaner, which
// deletes by Expires), never read back.
func display(series []storage.SigningKey, i int, retention time.Duration) (retires, expires time.Time) {
	l := lifecycleOf(series, i, retention)
	return l.SignUntil, l.PublishUntil
}
