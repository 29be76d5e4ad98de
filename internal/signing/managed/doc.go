// Package managed keeps signing keys that Signet makes itself (key.type:
// Managed): it creates them, keeps them in storage encrypted under a
// key-encryption key (KEK), rotates and deletes them on a schedule, and
// turns them into signing.Keys with a Lifecycle for a signing.Ring.
//
// It imports internal/signing, internal/observe (it reports the keys it
// makes, retires and revokes) and the storage port, and must not import
// internal/config, cmd, HTTP, or a storage adapter.
//
// # Lifecycle
//
// There is one series of keys per algorithm in Options.Algorithms. A
// series is ordered by the stored (Activates, Created, ID), and the
// lifecycle comes from the Activates alone: the key that signs at t is the
// one with the greatest Activates at or before t. For a key k followed by
// s:
//
//	Announced    = k.Created            (published from then)
//	SignFrom     = k.Activates
//	SignUntil    = s.Activates
//	PublishUntil = s.Activates + Retention
//
// The newest key's SignUntil and PublishUntil are open. The ring switches
// signer at these edges by itself; Sync only has to run now and then.
//
//   - The first key of an empty series signs at once (Activates = Created
//     = now).
//   - A successor is made when now ≥ signer.Activates + Rotation −
//     Propagation and no newer key exists, with Activates = max(now +
//     Propagation, signer.Activates + Rotation): a key never signs before
//     it has been published for Propagation, except the first and those of
//     Rotate(immediately) and Retire. If the server was down past a
//     rotation, the old key keeps signing until the successor has
//     propagated.
//   - A key whose successor's Activates + Retention has passed is deleted.
//     The signer and newer keys never are.
//
// The stored Retires and Expires are kept equal to SignUntil and
// PublishUntil (zero for the newest key) for display; the lifecycle never
// reads them. storage.Cleaner deletes keys by Expires, which is why every
// Sync repairs them: a write is ordered so that a crash leaves an Expires
// later than the lifecycle's, or none, never earlier.
//
// Keys of an algorithm no longer configured are published without their
// private key (they never sign), are not rotated, and are deleted as
// above once a newer key of theirs has passed its retention; the newest of
// them stays published until the algorithm is configured again.
//
// # Once across instances, without locks
//
// Before creating a key, an instance claims it in the replay cache:
// UseOnce(ClaimClient, "next:"+alg+":"+kid, now+ClaimTTL), where kid is the
// newest key of the series, or "none" for an empty one. Only the instance
// that gets the claim reads the keys again and, if the key is still
// missing, creates it; the others go on with what they have. If the winner
// dies before creating the key, the claim expires after ClaimTTL and the
// next Sync of any instance makes it.
//
// A server cannot sign without a key, so for an empty series Sync waits
// until the first key appears, made by itself or by another instance:
// it polls the store (20 ms, doubling to 1 s) and retries the claim, for at
// most ClaimTTL plus 15 s, or until ctx is done. Instances see keys made by
// others at their next sync: Run reads the store's SigningKeysVersion, one
// small read, every poll (DefaultPoll, the configuration's
// storage.pollInterval) and syncs when it changed, so that the emergencies
// (Rotate now, Retire, Revoke) reach every instance within the poll, on
// SQLite too; and it syncs every interval (DefaultInterval by default)
// whatever happens. As a successor is announced Propagation before it
// signs, these bounds only need to be well below Propagation. A store that
// pushes changes (storage.SigningKeyWatcher: PostgreSQL) makes Run sync at
// once after any instance or command wrote a key; the poll and the
// interval remain the guarantee when a notification is lost.
//
// Rotate and Retire are operator actions and do not claim: run them once.
//
// # Keys at rest
//
// RS256 and PS256 keys are RSA-2048; ES256, ES384 and ES512 keys are on
// P-256, P-384 and P-521. The kid is the RFC 7638 JWK thumbprint (SHA-256,
// base64url). The stored data is an envelope:
//
//	"SGK1" | kekID (8 bytes) | nonce (12 bytes) | AES-256-GCM(PKCS#8 DER)
//
// kekID is the first 8 bytes of SHA-256("signet key-encryption key id" ||
// KEK), which tells under which KEK a key was encrypted without revealing
// it. The additional data is "SGK1" | kekID | len(kid) | kid | len(alg) |
// alg (lengths as two bytes, big endian), so that a row's data cannot be
// moved onto another kid or algorithm. Opened keys are cached by kid and
// data.
//
// A KEK that does not open a stored key (another KEK, or corrupt data) is
// an *UnreadableError naming every such key and what to do; Sync then
// writes nothing and never makes a replacement, because tokens signed by
// the keys it cannot open would stop validating. Rekey re-encrypts under a
// new KEK. Neither the KEK nor a private key is ever logged.
package managed
