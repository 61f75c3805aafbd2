package platform

import (
	"github.com/b2brecs/b2brecs/shared/drops"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// Uploads returns the upload settings (drops.SettingsFromEnv over the values
// given): the direct upload through the API locally, signed uploads
// straight into the drop bucket by default in cloud mode, where the drop
// URL must name the signing account (gs://BUCKET?access_id=EMAIL).
func (c Config) Uploads() (drops.Settings, error) {
	env := map[string]string{
		"B2B_UPLOAD_MODE":       c.UploadMode,
		"B2B_UPLOAD_MAX_BYTES":  c.UploadMaxBytes,
		"B2B_UPLOAD_URL_EXPIRY": c.UploadURLExpiry,
		"B2B_DROP_LIST_LIMIT":   c.DropListLimit,
	}
	u, err := drops.SettingsFromEnv(func(k string) string { return env[k] }, c.Mode == ModeCloud)
	if err != nil {
		return drops.Settings{}, errs.Wrap(errs.Invalid, err, "platform: upload settings")
	}
	return u, nil
}
