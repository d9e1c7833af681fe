// Package i18n holds message catalogs in en, fr and pt-BR and picks a
// locale from a user's setting or an Accept-Language header. Each catalog
// (errors, emails, pages) is one Catalog; a test per catalog calls Missing.
package i18n

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

// Default is the locale used when nothing better matches.
const Default = "en"

// Locales are the supported locales, in the order a tie picks them.
var Locales = []string{"en", "fr", "pt-BR"}

var matcher = language.NewMatcher([]language.Tag{language.English, language.French, language.BrazilianPortuguese})

// Catalog maps locale -> key -> message. Messages use {name} placeholders.
type Catalog map[string]map[string]string

// Normalize maps any locale spelling (fr-CA, pt, pt_BR, EN) to a supported
// locale; ok is false when it is none of them.
func Normalize(s string) (string, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "_", "-"))
	if s == "" {
		return Default, false
	}
	for _, l := range Locales {
		if strings.EqualFold(s, l) {
			return l, true
		}
	}
	tag, err := language.Parse(s)
	if err != nil {
		return Default, false
	}
	_, idx, conf := matcher.Match(tag)
	if conf == language.No {
		return Default, false
	}
	return Locales[idx], true
}

// FromAcceptLanguage picks the best supported locale from a header.
func FromAcceptLanguage(h string) string {
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil || len(tags) == 0 {
		return Default
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return Default
	}
	return Locales[idx]
}

// T renders key in locale with args, falling back to English, then to the
// key itself (which the catalog tests make impossible for shipped keys).
func (c Catalog) T(locale, key string, args map[string]string) string {
	msg, ok := c[locale][key]
	if !ok {
		msg, ok = c[Default][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	pairs := make([]string, 0, 2*len(args))
	for k, v := range args {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// Has reports whether key exists in every locale.
func (c Catalog) Has(key string) bool {
	for _, l := range Locales {
		if _, ok := c[l][key]; !ok {
			return false
		}
	}
	return true
}

// Missing lists "locale: key" for every key some locale has and another
// lacks, and for keys whose placeholders differ between locales.
func (c Catalog) Missing() []string {
	keys := map[string]bool{}
	for _, l := range Locales {
		for k := range c[l] {
			keys[k] = true
		}
	}
	var out []string
	for k := range keys {
		ref := placeholders(c[Default][k])
		for _, l := range Locales {
			msg, ok := c[l][k]
			switch {
			case !ok || strings.TrimSpace(msg) == "":
				out = append(out, fmt.Sprintf("%s: %s missing", l, k))
			case placeholders(msg) != ref:
				out = append(out, fmt.Sprintf("%s: %s placeholders %s, en has %s", l, k, placeholders(msg), ref))
			}
		}
	}
	sort.Strings(out)
	return out
}

func placeholders(s string) string {
	var ph []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		ph = append(ph, s[i:i+j+1])
		s = s[i+j+1:]
	}
	sort.Strings(ph)
	return strings.Join(ph, ",")
}
