package federation

// StandardClaims are the OpenID Connect Core §5.1 claims that a new
// user takes from the upstream as they are, without a claimMappings entry.
// sub is not among them (the local user has its own), nor
// updated_at (the upstream's, not the local profile's).
var StandardClaims = []string{
	"name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
	"profile", "picture", "website", "email", "email_verified", "gender", "birthdate",
	"zoneinfo", "locale", "phone_number", "phone_number_verified", "address",
}

// maxClaimValue bounds one mapped claim's string value.
const maxClaimValue = 2048

// MapClaims is the claims a user made from an upstream sign-in gets: the
// standard claims as they are, then each mapping (local: upstream), which
// replaces a standard claim of the same name. A string over 2 KiB, and
// values of a type a claim does not take, are dropped. An email (or
// phone_number) mapped from another claim has no _verified flag unless
// that flag is mapped too.
func MapClaims(mappings map[string]string, upstream map[string]any) map[string]any {
	out := map[string]any{}
	put := func(local string, v any) {
		switch x := v.(type) {
		case string:
			if len(x) > maxClaimValue || x == "" {
				return
			}
		case bool, float64, []any, map[string]any:
		default:
			return
		}
		out[local] = v
	}
	for _, c := range StandardClaims {
		if v, ok := upstream[c]; ok {
			put(c, v)
		}
	}
	for local, up := range mappings {
		if v, ok := upstream[up]; ok {
			put(local, v)
		}
	}
	// The upstream's email_verified speaks for its email claim only: an
	// email taken from another claim (upn, say) is not verified unless a
	// mapping says which claim verifies it. So for the phone number.
	for claim, flag := range verifiedFlags {
		if up, ok := mappings[claim]; ok && up != claim {
			if _, ok := mappings[flag]; !ok {
				delete(out, flag)
			}
		}
	}
	return out
}

// verifiedFlags are the claims whose _verified flag StandardClaims copies.
var verifiedFlags = map[string]string{"email": "email_verified", "phone_number": "phone_number_verified"}
