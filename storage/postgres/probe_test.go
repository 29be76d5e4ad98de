package postgres_test

import (
	"testing"

	"github.com/signetid/signet/storage/postgres"
)

// The probe writes its one row; without the row it is an error, which the
// outage Tracker logs, not a silent success that tells the Monitor nothing.
func TestProbeWrite(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	s := open(t, db.dsn, postgres.Options{})
	if err := s.ProbeWrite(t.Context()); err != nil {
		t.Fatalf("ProbeWrite: %v", err)
	}
	if _, err := admin(t).Exec(t.Context(), `DELETE FROM `+db.schema+`.health_probe`); err != nil {
		t.Fatal(err)
	}
	if err := s.ProbeWrite(t.Context()); err == nil {
		t.Error("ProbeWrite without its row = nil, want an error")
	}
}
