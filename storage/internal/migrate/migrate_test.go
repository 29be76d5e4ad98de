package migrate_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/migrate"
)

func TestLoad(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name  string
		files fstest.MapFS
		want  []string // names, or nil when an error containing errMsg is expected
		err   string
	}{
		{
			name: "sorted",
			files: fstest.MapFS{
				"m/0002_b.sql":   file("create table b (x);"),
				"m/0001_a.sql":   file("create table a (x);"),
				"m/README.md":    file("not a migration"),
				"m/0003_c_d.sql": file("create table c (x);"),
			},
			want: []string{"0001_a", "0002_b", "0003_c_d"},
		},
		{name: "gap", files: fstest.MapFS{"m/0001_a.sql": file("x"), "m/0003_c.sql": file("x")}, err: "want version 0002"},
		{name: "duplicate", files: fstest.MapFS{"m/0001_a.sql": file("x"), "m/0001_b.sql": file("x")}, err: "want version 0002"},
		{name: "starts at 0", files: fstest.MapFS{"m/0000_a.sql": file("x")}, err: "want version 0001"},
		{name: "bad name", files: fstest.MapFS{"m/1_a.sql": file("x")}, err: "want NNNN_name.sql"},
		{name: "upper case", files: fstest.MapFS{"m/0001_A.sql": file("x")}, err: "want NNNN_name.sql"},
		{name: "empty file", files: fstest.MapFS{"m/0001_a.sql": file(" \n")}, err: "is empty"},
		{name: "none", files: fstest.MapFS{"m/README.md": file("x")}, err: "no migrations"},
		{name: "no dir", files: fstest.MapFS{}, err: "read migrations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := migrate.Load(tt.files, "m")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Load error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, m := range ms {
				got = append(got, m.Name)
				if m.Version != i+1 || m.SQL == "" {
					t.Errorf("migration %d = %+v", i, m)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("Load = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPending(t *testing.T) {
	known := []migrate.Migration{{Version: 1, Name: "0001_a"}, {Version: 2, Name: "0002_b"}, {Version: 3, Name: "0003_c"}}
	tests := []struct {
		name    string
		applied []int
		want    string
		tooNew  bool
	}{
		{name: "fresh", applied: nil, want: "0001_a, 0002_b, 0003_c"},
		{name: "partly", applied: []int{1}, want: "0002_b, 0003_c"},
		{name: "up to date", applied: []int{1, 2, 3}, want: ""},
		{name: "hole filled", applied: []int{1, 3}, want: "0002_b"},
		{name: "newer database", applied: []int{1, 2, 3, 4}, tooNew: true},
		{name: "nonsense version", applied: []int{0}, tooNew: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := migrate.Pending(known, tt.applied)
			if tt.tooNew {
				if !errors.Is(err, storage.ErrSchemaTooNew) {
					t.Fatalf("Pending error = %v, want ErrSchemaTooNew", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if migrate.Names(got) != tt.want {
				t.Errorf("Pending = %q, want %q", migrate.Names(got), tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	known := []migrate.Migration{{Version: 1, Name: "0001_a"}, {Version: 2, Name: "0002_b"}}
	if err := migrate.Check(known, []int{1, 2}); err != nil {
		t.Errorf("Check(up to date) = %v, want nil", err)
	}
	if err := migrate.Check(known, []int{1}); !errors.Is(err, storage.ErrMigrationsPending) || !strings.Contains(err.Error(), "1 pending (0002_b)") {
		t.Errorf("Check(behind) = %v, want ErrMigrationsPending naming 0002_b", err)
	}
	if err := migrate.Check(known, []int{1, 2, 3}); !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Errorf("Check(newer) = %v, want ErrSchemaTooNew", err)
	}
}

func TestStatuses(t *testing.T) {
	known := []migrate.Migration{{Version: 1, Name: "0001_a"}, {Version: 2, Name: "0002_b"}}
	at := time.UnixMilli(1700000000000).UTC()
	got := migrate.Statuses(known, []migrate.Status{
		{Version: 4, Name: "0004_d", Applied: at},
		{Version: 1, Name: "0001_a", Applied: at},
		{Version: 3, Name: "0003_c", Applied: at},
	})
	want := []migrate.Status{
		{Version: 1, Name: "0001_a", Applied: at},
		{Version: 2, Name: "0002_b"},
		{Version: 3, Name: "0003_c", Applied: at, Unknown: true},
		{Version: 4, Name: "0004_d", Applied: at, Unknown: true},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Statuses = %+v, want %+v", got, want)
	}
}
