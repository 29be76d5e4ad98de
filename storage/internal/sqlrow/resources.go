package sqlrow

import (
	"encoding/json"
	"fmt"

	"github.com/signetid/signet/storage"
)

// ResourceSecrets reads an API resource's secrets aggregated by the select
// itself into one JSON array of [id, hash, description, expires_at,
// created_at] arrays, in position order (SQLite's json_group_array,
// PostgreSQL's json_agg), so that a resource and its secrets are read in one
// statement, one snapshot, without multiplying the scope rows. Empty or NULL
// (json_agg over no rows) is none.
func ResourceSecrets(b []byte) ([]storage.ClientSecret, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var rows [][5]json.RawMessage
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("read resource secrets: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]storage.ClientSecret, len(rows))
	for i, r := range rows {
		var expires, created *int64
		for _, f := range []struct {
			raw json.RawMessage
			to  any
		}{
			{r[0], &out[i].ID}, {r[1], &out[i].Hash}, {r[2], &out[i].Description},
			{r[3], &expires}, {r[4], &created},
		} {
			if err := json.Unmarshal(f.raw, f.to); err != nil {
				return nil, fmt.Errorf("read resource secret %d: %w", i, err)
			}
		}
		out[i].Expires = Time(expires)
		out[i].Created = Time(created)
	}
	return out, nil
}
