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
	kindLot      = "LOT"
	kindRun      = "JOBRUN"
	kindLedger   = "LEDGER"
	kindGrowth   = "GLEDGER"
	kindHistory  = "LVLHIST"
	kindPackage  = "PRIVPKG"
	kindOrder    = "ORDER"
	kindPriv     = "PRIV"
	kindGrant    = "GRANT"
	kindConsume  = "CONSUME"
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
func runKey(runID string) key   { return key{"JOBRUN#" + runID, "JOBRUN"} }

// A member's hot state shares its partition and the "PROFILE" prefix, so
// one strongly consistent query reads the balance with every lot.
const (
	skLotPrefix     = skProfile + "#LOT#"
	skLedgerPrefix  = "LEDGER#"
	skLedgerEnd     = "LEDGER#~" // after every ULID
	skHistoryPrefix = "LVLHIST#"
	skHistoryEnd    = "LVLHIST#~"
	skGrowthPrefix  = "GLEDGER#"
)

func memberPK(memberID string) string  { return "MEMBER#" + memberID }
func lotKey(memberID, date string) key { return key{memberPK(memberID), skLotPrefix + date} }
func ledgerKey(memberID, entryID string) key {
	return key{memberPK(memberID), skLedgerPrefix + entryID}
}
func historyKey(memberID, id string) key { return key{memberPK(memberID), skHistoryPrefix + id} }
func growthKey(memberID, entryID string) key {
	return key{memberPK(memberID), skGrowthPrefix + entryID}
}
func packageKey(code string) key  { return key{"PRIVPKG#" + code, "PRIVPKG"} }
func orderKey(orderNo string) key { return key{"ORDER#" + orderNo, "ORDER"} }

// Privileges: definitions and packages are listed through gsi1, grants live
// in the member's partition, consumptions under their own id (found by id
// on cancel) and in gsi1 per member (the usage list).
const (
	gsi1Privileges = "PRIVS"
	gsi1Packages   = "PRIVPKGS"
	skGrantPrefix  = "GRANT#"
)

func privilegeKey(code string) key { return key{"PRIV#" + code, "PRIV"} }
func grantKey(memberID, code, grant string) key {
	return key{memberPK(memberID), skGrantPrefix + code + "#" + grant}
}
func consumeKey(consumeID string) key         { return key{"CONSUME#" + consumeID, "CONSUME"} }
func usageGSI(memberID, consumeID string) key { return key{"USAGE#" + memberID, consumeID} }
func grantDueGSI(shard int, end, memberID, code, grant string) key {
	return key{fmt.Sprintf("PRIVEXP#%d", shard), end + "#" + memberID + "#" + code + "#" + grant}
}
func reviewDueGSI(date string, shard int, memberID string) key {
	return key{fmt.Sprintf("REVIEW#%d", shard), date + "#" + memberID}
}
func lotDueGSI(date string, shard int, memberID string) key {
	return key{fmt.Sprintf("LOTEXP#%s#%d", date, shard), memberID}
}
