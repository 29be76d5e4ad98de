// Package memory is a storage.Store kept in process memory: a map behind a
// mutex. It is for tests and throwaway development; everything is lost when
// the process ends, and instances share nothing.
//
// It imports storage and nothing else of Signet's.
package memory
