package config

import "time"

// Webhook tunes the delivery of every app's webhooks; each app's URL and
// key are in its App entry. Defaults are TRTC's schedule (trtc-reference
// §8.1). docs/webhooks.md describes the delivery guarantees.
type Webhook struct {
	// Timeout bounds one attempt, the receiver's answer included (5s).
	Timeout time.Duration `yaml:"timeout"`
	// RetryInterval separates retries after the immediate first retry (10s).
	RetryInterval time.Duration `yaml:"retry_interval"`
	// RetryWindow: no attempt starts later than this after the first failed
	// attempt of a failure streak; each event gets at least two (1m).
	RetryWindow time.Duration `yaml:"retry_window"`
	// MaxPending caps each app's undelivered events; beyond it the oldest is
	// given up (100000).
	MaxPending int `yaml:"max_pending"`
}

// Bounds of the webhook settings: typos, not policy.
const (
	maxWebhookTimeout       = time.Minute
	maxWebhookRetryInterval = time.Hour
	maxWebhookRetryWindow   = 7 * 24 * time.Hour
	maxWebhookPending       = 10000000
)

// DefaultWebhook returns TRTC's delivery schedule.
func DefaultWebhook() Webhook {
	return Webhook{
		Timeout:       5 * time.Second,
		RetryInterval: 10 * time.Second,
		RetryWindow:   time.Minute,
		MaxPending:    100000,
	}
}

func (v *validator) webhook(w *Webhook) {
	v.duration("webhook.timeout", w.Timeout, maxWebhookTimeout)
	v.duration("webhook.retry_interval", w.RetryInterval, maxWebhookRetryInterval)
	v.duration("webhook.retry_window", w.RetryWindow, maxWebhookRetryWindow)
	v.count("webhook.max_pending", w.MaxPending, maxWebhookPending)
}
