package etl

import (
	"testing"

	"github.com/b2brecs/b2brecs/eventschemas"
)

// TestLoadedNewer: what a ledger slot holding a loaded version makes of a
// run about to load: versions of one file by generation; in a latest-file
// job's slot, files by modification time, ties by name as the listing
// picks the newest.
func TestLoadedNewer(t *testing.T) {
	for _, tc := range []struct {
		name        string
		loaded      LedgerEntry
		obj         eventschemas.ObjectRef
		latestOrder string
		want        bool
	}{
		{"empty slot", LedgerEntry{}, eventschemas.ObjectRef{Name: "a.csv", Generation: "5"}, "", false},
		{"older generation loaded", LedgerEntry{Object: "a.csv", Generation: "4"}, eventschemas.ObjectRef{Name: "a.csv", Generation: "5"}, "", false},
		{"same generation loaded", LedgerEntry{Object: "a.csv", Generation: "5"}, eventschemas.ObjectRef{Name: "a.csv", Generation: "5"}, "", false},
		{"newer generation loaded", LedgerEntry{Object: "a.csv", Generation: "6"}, eventschemas.ObjectRef{Name: "a.csv", Generation: "5"}, "", true},
		{"latest: older file loaded", LedgerEntry{Object: "b.csv", Generation: "100"}, eventschemas.ObjectRef{Name: "a.csv", Generation: "1"}, "200", false},
		{"latest: newer file loaded", LedgerEntry{Object: "a.csv", Generation: "300"}, eventschemas.ObjectRef{Name: "b.csv", Generation: "9"}, "200", true},
		{"latest: same time, greater name loaded", LedgerEntry{Object: "b.csv", Generation: "200"}, eventschemas.ObjectRef{Name: "a.csv"}, "200", true},
		{"latest: same time, smaller name loaded", LedgerEntry{Object: "a.csv", Generation: "200"}, eventschemas.ObjectRef{Name: "b.csv"}, "200", false},
		{"latest: the same file loaded", LedgerEntry{Object: "a.csv", Generation: "200"}, eventschemas.ObjectRef{Name: "a.csv"}, "200", false},
	} {
		if got := loadedNewer(tc.loaded, &tc.obj, tc.latestOrder); got != tc.want {
			t.Errorf("%s: loadedNewer = %v, want %v", tc.name, got, tc.want)
		}
	}
}
