package rank

import "github.com/b2brecs/b2brecs/shared/recsys/gbdt"

func gbdtCfg(seed uint64) gbdt.Config { return gbdt.Config{Seed: seed, Trees: 40} }
