package twotower

import (
	"strconv"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Preset returns a named configuration: "default" (DefaultConfig, the
// smart defaults for B2B order data) or "id-only" (IDOnlyConfig, the
// protocol's reference two-tower).
func Preset(name string) (Config, error) {
	switch name {
	case "", "default":
		return DefaultConfig(), nil
	case "id-only":
		return IDOnlyConfig(), nil
	}
	return Config{}, errs.Fieldf(errs.Invalid, "preset", "%q is not a two-tower preset: use default or id-only", name)
}

// Set changes one setting from a short key=value form (the model specs
// of the evaluation command, e.g. two-tower:epochs=20,lr=0.002); the
// config's JSON field names work as well (batch_size, learning_rate,
// clip_norm, output_dim, logq_correction, sampled_negatives, history_max,
// user_id_dropout). Keys: epochs,
// batch (batch_size), lr (optimizer.learning_rate), optimizer
// (optimizer.name, with its default learning rate unless lr is also set),
// clip (optimizer.clip_norm), dim (output_dim, resizing the towers' last
// layers), temperature, logq (logq_correction, true/false), negatives
// (sampled_negatives), seed, history (features.history_max; 0 turns the
// purchase history off) and id_dropout (features.user_id_dropout). Run
// Validate after the last Set.
func (c *Config) Set(key, value string) error {
	bad := func(err error) error {
		return errs.Fieldf(errs.Invalid, key, "%q is not a valid value for %s: %v", value, key, err)
	}
	num := func() (float64, error) {
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return 0, bad(err)
		}
		return f, nil
	}
	integer := func() (int, error) {
		n, err := strconv.Atoi(value)
		if err != nil {
			return 0, bad(err)
		}
		return n, nil
	}
	if k, ok := map[string]string{
		"batch_size": "batch", "learning_rate": "lr", "clip_norm": "clip", "output_dim": "dim", "logq_correction": "logq",
		"sampled_negatives": "negatives", "history_max": "history", "user_id_dropout": "id_dropout",
	}[key]; ok {
		key = k
	}
	var err error
	switch key {
	case "epochs":
		c.Epochs, err = integer()
	case "batch":
		c.BatchSize, err = integer()
	case "seed":
		var n int
		if n, err = integer(); err == nil {
			c.Seed = uint64(n)
		}
	case "negatives":
		c.SampledNegatives, err = integer()
	case "history":
		var n int
		if n, err = integer(); err == nil {
			c.Features.PurchaseHistory = n > 0
			c.Features.HistoryMax = n
		}
	case "dim":
		var n int
		if n, err = integer(); err == nil {
			c.OutputDim = n
			for _, tower := range [][]LayerSpec{c.UserTower, c.ItemTower} {
				if i := lastDense(tower); i >= 0 {
					tower[i].Units = n
				}
			}
		}
	case "lr", "clip", "temperature", "id_dropout":
		var f float64
		if f, err = num(); err == nil {
			switch key {
			case "lr":
				c.Optimizer.LearningRate = float32(f)
			case "clip":
				c.Optimizer.ClipNorm = float32(f)
			case "temperature":
				c.Temperature = float32(f)
			default:
				c.Features.UserIDDropout = float32(f)
			}
		}
	case "optimizer":
		c.Optimizer.Name = value
		c.Optimizer.LearningRate = 0 // the optimizer's default unless lr follows
	case "logq":
		var b bool
		if b, err = strconv.ParseBool(value); err != nil {
			return bad(err)
		}
		c.LogQCorrection = b
	default:
		return errs.Fieldf(errs.Invalid, key, "%s is not a two-tower setting: use one of epochs, batch, lr, optimizer, clip, dim, temperature, logq, negatives, seed, history, id_dropout", key)
	}
	return err
}
