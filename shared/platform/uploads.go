package platform

import (
	"github.com/b2brecs/b2brecs/shared/api"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// Uploads returns the upload settings (api.UploadsFromEnv over the values
// given): the direct upload through the API locally, signed uploads
// straight into the drop bucket by default in cloud mode, where the drop
// URL must name the signing account (gs://BUCKET?access_id=EMAIL).
func (c Config) Uploads() (api.Uploads, error) {
	env := map[string]string{
		"B2B_UPLOAD_MODE":       c.UploadMode,
		"B2B_UPLOAD_MAX_BYTES":  c.UploadMaxBytes,
		"B2B_UPLOAD_URL_EXPIRY": c.UploadURLExpiry,
	}
	u, err := api.UploadsFromEnv(func(k string) string { return env[k] }, c.Mode == ModeCloud)
	if err != nil {
		return api.Uploads{}, errs.Wrap(errs.Invalid, err, "platform: upload settings")
	}
	return u, nil
}
