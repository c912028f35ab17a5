package store

import (
	"fmt"

	"github.com/arkmember/arkmember/internal/catalog"
)

// Every key of the main table is built here and nowhere else; the layout is
// documented in docs/data-model.md.

const (
	skProfile  = "PROFILE"
	skMobile   = "MOBILE"
	skClient   = "CLIENT"
	skFamily   = "RTFAM"
	skOutbox   = "OUTBOX"
	skIdem     = "IDEM"
	skConsumed = "CONSUMED"
	skCurrent  = "CURRENT"

	pkAudit        = "AUDIT"
	gsi1Outbox     = "OUTBOX"
	gsi1AuditActor = "AUDIT#ACTOR#"
)

// Entity kinds (the "kind" attribute), so a stream or a scan can tell items apart.
const (
	kindMember   = "MEMBER"
	kindMobile   = "MOBILE"
	kindStaff    = "STAFF"
	kindClient   = "CLIENT"
	kindFamily   = "RTFAM"
	kindAudit    = "AUDIT"
	kindOutbox   = catalog.KindOutbox
	kindIdem     = "IDEM"
	kindConsumed = "CONSUMED"
	kindConfig   = "CONFIG"
)

type key struct{ pk, sk string }

func memberKey(memberID string) key           { return key{"MEMBER#" + memberID, skProfile} }
func mobileKey(blindIndex string) key         { return key{"MOBILE#" + blindIndex, skMobile} }
func staffKey(username string) key            { return key{"STAFF#" + username, skProfile} }
func clientKey(clientID string) key           { return key{"CLIENT#" + clientID, skClient} }
func familyKey(familyID string) key           { return key{"RTFAM#" + familyID, skFamily} }
func auditKey(entryID string) key             { return key{pkAudit, entryID} }
func auditActorGSI(actor, entryID string) key { return key{gsi1AuditActor + actor, entryID} }
func outboxKey(eventID string) key            { return key{"OUTBOX#" + eventID, skOutbox} }
func outboxGSI(shard int, eventID string) key {
	return key{fmt.Sprintf("%s#%d", gsi1Outbox, shard), eventID}
}
func idemKey(scope, bizNo string) key { return key{"IDEM#" + scope + "#" + bizNo, skIdem} }
func consumedKey(consumer, eventID string) key {
	return key{"CONSUMED#" + consumer + "#" + eventID, skConsumed}
}
func configKey(name string) key { return key{"CONFIG#" + name, skCurrent} }
