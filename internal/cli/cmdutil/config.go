package cmdutil

import (
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/rules"
)

// LoadConfig reads the config file every command that judges objects
// shares: file, or ./.kguard.yaml when present, plus the --enable and
// --disable rule IDs, all checked against the registry. Problems are usage
// errors.
func LoadConfig(file string, reg *rules.Registry, enable, disable []string) (*config.Config, error) {
	var cfg *config.Config
	var err error
	if file != "" {
		cfg, err = config.Load(file)
	} else {
		cfg, _, err = config.Find()
	}
	if err == nil {
		cfg.Rules.Enable = append(cfg.Rules.Enable, enable...)
		cfg.Rules.Disable = append(cfg.Rules.Disable, disable...)
		err = cfg.CheckRuleIDs(reg)
	}
	if err != nil {
		return nil, UsageErrorf("%v", err)
	}
	return cfg, nil
}
