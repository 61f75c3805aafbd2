package tabular

import (
	"fmt"
	"strings"
	"testing"
)

// A malformed quote rejects its own row, with its raw text and line, and
// never the rows after it: a quote left open swallowed every line up to
// the next quote into one reject before.
func TestMalformedQuoteKeepsFollowingRows(t *testing.T) {
	tests := []struct {
		name string
		data string
		// rows loaded (column "id"), and the rejects as "line|raw".
		wantIDs     string
		wantRejects []string
		wantReason  string
	}{
		{
			name:        "text after a closing quote",
			data:        "1,\"ok\",1\n2,\"bad\"x,2\n3,\"fine\",3",
			wantIDs:     "1 3",
			wantRejects: []string{`2|2,"bad"x,2`},
			wantReason:  "a quoted value must end with a quote followed by the delimiter",
		},
		{
			name:        "quote left open, closed by a later row's quote",
			data:        "id,name,n\n1,\"ok\",1\n2,\"bad,2\n3,\"fine\",3\n4,x,4\n",
			wantIDs:     "1 3 4",
			wantRejects: []string{`3|2,"bad,2`},
			wantReason:  "the quoted value opened on line 3 is not closed properly (line 4, character 3); the lines after line 3 were read again",
		},
		{
			name:        "quote left open to the end of the file",
			data:        "id,n\n1,2\n\"x,3\n4,5\n6,7\n",
			wantIDs:     "1 4 6",
			wantRejects: []string{`3|"x,3`},
			wantReason:  "the quoted value opened on line 3 is not closed properly",
		},
		{
			name:        "bare quote on the next line of a quoted value",
			data:        "id,n\n1,\"multi\nline\"x\n2,3\n",
			wantIDs:     "2",
			wantRejects: []string{`2|1,"multi`, `3|line"x`},
			wantReason:  "the lines after line 2 were read again",
		},
		{
			name:    "a good multi-line value stays one row",
			data:    "id,n\n1,\"multi\nline\"\n2,3\n",
			wantIDs: "1 2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustInfer(t, tt.data, CSV, Options{HasHeader: ptr(strings.HasPrefix(tt.data, "id,"))})
			res := convert(t, tt.data, CSV, in, 0)
			var ids []string
			for _, r := range res.rows {
				ids = append(ids, fmt.Sprint(r[0]))
			}
			if got := strings.Join(ids, " "); got != tt.wantIDs {
				t.Errorf("loaded ids %q, want %q (rejects %+v)", got, tt.wantIDs, res.rejects)
			}
			var rejects []string
			for _, rj := range res.rejects {
				rejects = append(rejects, fmt.Sprintf("%d|%s", rj.Line, rj.Raw))
			}
			if strings.Join(rejects, "\n") != strings.Join(tt.wantRejects, "\n") {
				t.Errorf("rejects %q, want %q", rejects, tt.wantRejects)
			}
			if tt.wantReason != "" && (len(res.rejects) == 0 || !strings.Contains(res.rejects[0].Reason, tt.wantReason)) {
				t.Errorf("reject reason %+v, want it to contain %q", res.rejects, tt.wantReason)
			}
			if st := res.stats; st.RowsRead != st.RowsWritten+st.RowsRejected || st.RowsRead != in.Rows {
				t.Errorf("stats %+v, inferred rows %d", st, in.Rows)
			}
		})
	}
}
