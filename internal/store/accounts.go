package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/arkmember/arkmember/internal/accounts"
	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/points"
)

var _ accounts.Repository = (*Store)(nil)

// timeLayout is fixed-width so stored times sort as strings.
const timeLayout = "2006-01-02T15:04:05.000Z"

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTS(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t.UTC()
}

type guardAttrs struct {
	GuardFailures int    `dynamodbav:"guardFailures"`
	GuardWindow   string `dynamodbav:"guardWindow,omitempty"`
	GuardLocked   string `dynamodbav:"guardLocked,omitempty"`
	GuardVersion  int64  `dynamodbav:"guardVersion"`
}

func (g guardAttrs) guard() auth.Guard {
	return auth.Guard{Failures: g.GuardFailures, WindowStart: parseTS(g.GuardWindow), LockedUntil: parseTS(g.GuardLocked), Version: g.GuardVersion}
}

type memberItem struct {
	base
	MemberID     string `dynamodbav:"memberId"`
	MobileCipher string `dynamodbav:"mobileEnc"`
	MobileIndex  string `dynamodbav:"mobileIdx"`
	PasswordHash string `dynamodbav:"pwHash"`
	Nickname     string `dynamodbav:"nickname"`
	AvatarURL    string `dynamodbav:"avatarUrl,omitempty"`
	Gender       string `dynamodbav:"gender"`
	Birthday     string `dynamodbav:"birthday,omitempty"`
	LevelCode    string `dynamodbav:"levelCode"`
	Points       int64  `dynamodbav:"points"`
	// BalanceVersion changes with every points change; it is the condition
	// of every points transaction.
	BalanceVersion int64 `dynamodbav:"balanceVersion"`
	Growth         int64 `dynamodbav:"growth"`
	// Growth since the last review, its version and the review dates.
	GrowthSinceReview int64  `dynamodbav:"growthSinceReview"`
	GrowthVersion     int64  `dynamodbav:"growthVersion"`
	GrowthOffset      int64  `dynamodbav:"growthOffset"`
	ReviewAt          string `dynamodbav:"reviewAt,omitempty"`
	WarnedFor         string `dynamodbav:"warnedFor,omitempty"`
	Status            string `dynamodbav:"status"`
	StatusReason      string `dynamodbav:"statusReason,omitempty"`
	CreatedAt         string `dynamodbav:"createdAt"`
	UpdatedAt         string `dynamodbav:"updatedAt"`
	guardAttrs
}

func (it memberItem) member() accounts.Member {
	return accounts.Member{
		ID: it.MemberID, MobileCipher: it.MobileCipher, MobileIndex: it.MobileIndex, PasswordHash: it.PasswordHash,
		Nickname: it.Nickname, AvatarURL: it.AvatarURL, Gender: accounts.Gender(it.Gender), Birthday: it.Birthday,
		LevelCode: it.LevelCode, Points: it.Points, Growth: it.Growth, Status: accounts.Status(it.Status),
		StatusReason: it.StatusReason, CreatedAt: parseTS(it.CreatedAt), UpdatedAt: parseTS(it.UpdatedAt), Guard: it.guard(),
	}
}

type mobileItem struct {
	base
	MemberID string `dynamodbav:"memberId"`
}

type staffItem struct {
	base
	Username     string `dynamodbav:"username"`
	PasswordHash string `dynamodbav:"pwHash"`
	Role         string `dynamodbav:"role"`
	Status       string `dynamodbav:"status"`
	CreatedAt    string `dynamodbav:"createdAt"`
	guardAttrs
}

type clientItem struct {
	base
	ClientID   string `dynamodbav:"clientId"`
	SecretHash string `dynamodbav:"secretHash"`
	Status     string `dynamodbav:"status"`
	CreatedAt  string `dynamodbav:"createdAt"`
}

type familyItem struct {
	base
	FamilyID   string `dynamodbav:"familyId"`
	Subject    string `dynamodbav:"subject"`
	Role       string `dynamodbav:"role"`
	Generation int64  `dynamodbav:"generation"`
	Revoked    bool   `dynamodbav:"revoked"`
	CreatedAt  string `dynamodbav:"createdAt"`
	ExpiresAt  string `dynamodbav:"expiresAt"`
}

// familyTTL keeps a family a day past its expiry, then DynamoDB drops it.
func familyTTL(expiresAt time.Time) int64 { return expiresAt.Add(24 * time.Hour).Unix() }

func newFamilyItem(f accounts.Family) familyItem {
	it := familyItem{
		base:     baseOf(familyKey(f.ID), kindFamily),
		FamilyID: f.ID, Subject: f.Subject, Role: string(f.Role), Generation: f.Generation, Revoked: f.Revoked,
		CreatedAt: ts(f.CreatedAt), ExpiresAt: ts(f.ExpiresAt),
	}
	it.TTL = familyTTL(f.ExpiresAt)
	return it
}

// CreateMember implements accounts.Repository.
func (s *Store) CreateMember(ctx context.Context, m accounts.Member, first accounts.Family, ev outbox.Event) error {
	t := s.newTxn()
	// The mobile claim goes first: its failure is the answer callers need.
	t.put(marshal(mobileItem{base: baseOf(mobileKey(m.MobileIndex), kindMobile), MemberID: m.ID}), condAbsent, accounts.ErrMobileTaken)
	mi := memberItem{
		base:     baseOf(memberKey(m.ID), kindMember),
		MemberID: m.ID, MobileCipher: m.MobileCipher, MobileIndex: m.MobileIndex, PasswordHash: m.PasswordHash,
		Nickname: m.Nickname, AvatarURL: m.AvatarURL, Gender: string(m.Gender), Birthday: m.Birthday,
		LevelCode: m.LevelCode, Points: m.Points, Growth: m.Growth, Status: string(m.Status),
		CreatedAt: ts(m.CreatedAt), UpdatedAt: ts(m.UpdatedAt),
	}
	g := reviewGSI(time.Time{}, m.ID)
	mi.GSI2PK, mi.GSI2SK = g.pk, g.sk
	t.put(marshal(mi), condAbsent, nil)
	t.put(marshal(newFamilyItem(first)), condAbsent, nil)
	t.event(ev)
	return s.commit(ctx, t)
}

// Member implements accounts.Repository. Its Points are what the member
// can spend now: lots past their expiry do not count, even before the
// expiry job has emptied them.
func (s *Store) Member(ctx context.Context, id string) (accounts.Member, error) {
	it, lots, err := s.profileItems(ctx, id)
	if err != nil {
		return accounts.Member{}, err
	}
	if it == nil {
		return accounts.Member{}, accounts.ErrMemberNotFound
	}
	m := it.member()
	a := points.Account{}
	for _, l := range lots {
		a.Lots = append(a.Lots, l.lot())
	}
	m.Points = a.Available(s.clock.Now())
	return m, nil
}

// MemberIDByMobile implements accounts.Repository.
func (s *Store) MemberIDByMobile(ctx context.Context, mobileIndex string) (string, error) {
	var it mobileItem
	found, err := s.get(ctx, mobileKey(mobileIndex), &it)
	if err != nil {
		return "", err
	}
	if !found {
		return "", accounts.ErrMemberNotFound
	}
	return it.MemberID, nil
}

// UpdateProfile implements accounts.Repository. It sets only the profile
// fields, so it never overwrites a concurrent balance or status change.
func (s *Store) UpdateProfile(ctx context.Context, id string, p accounts.ProfilePatch, at time.Time) (accounts.Member, error) {
	names := map[string]string{"#updatedAt": "updatedAt"}
	values := item{":updatedAt": str(ts(at))}
	set := []string{"#updatedAt = :updatedAt"}
	// A cleared field is set to "" rather than removed: the embedded engine
	// ignores REMOVE, and "" reads back as unset either way.
	field := func(attr string, v *string) {
		if v == nil {
			return
		}
		names["#"+attr] = attr
		values[":"+attr] = str(*v)
		set = append(set, "#"+attr+" = :"+attr)
	}
	field("nickname", p.Nickname)
	field("avatarUrl", p.AvatarURL)
	if p.Gender != nil {
		g := string(*p.Gender)
		field("gender", &g)
	}
	field("birthday", p.Birthday)
	expr := "SET " + strings.Join(set, ", ")
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       memberKey(id).av(),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String(condExists.expr),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if isConditionFailed(err) {
		return accounts.Member{}, accounts.ErrMemberNotFound
	}
	if err != nil {
		return accounts.Member{}, classify(err)
	}
	// Read it back with its lots, so the points shown are what the member
	// can spend now, exactly as GET shows them.
	return s.Member(ctx, id)
}

// SetMemberStatus implements accounts.Repository: the change, its audit
// entry and its event commit together or not at all.
func (s *Store) SetMemberStatus(ctx context.Context, id string, from, to accounts.Status, reason string, at time.Time, entry audit.Entry, ev outbox.Event) error {
	t := s.newTxn()
	t.update(memberKey(id), "SET #status = :to, #reason = :reason, #updatedAt = :at", cond{
		expr:   "#status = :from",
		names:  map[string]string{"#status": "status", "#reason": "statusReason", "#updatedAt": "updatedAt"},
		values: item{":to": str(string(to)), ":from": str(string(from)), ":reason": str(reason), ":at": str(ts(at))},
	}, accounts.ErrStale)
	t.audit(entry)
	t.event(ev)
	return s.commit(ctx, t)
}

// SaveMemberGuard implements accounts.Repository.
func (s *Store) SaveMemberGuard(ctx context.Context, id string, g auth.Guard, expectVersion int64) error {
	return s.saveGuard(ctx, memberKey(id), g, expectVersion, accounts.ErrMemberNotFound)
}

// SaveStaffGuard implements accounts.Repository.
func (s *Store) SaveStaffGuard(ctx context.Context, username string, g auth.Guard, expectVersion int64) error {
	return s.saveGuard(ctx, staffKey(username), g, expectVersion, accounts.ErrStaffNotFound)
}

func (s *Store) saveGuard(ctx context.Context, k key, g auth.Guard, expectVersion int64, notFound error) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 k.av(),
		UpdateExpression:    aws.String("SET guardFailures = :f, guardWindow = :w, guardLocked = :l, guardVersion = :v"),
		ConditionExpression: aws.String("attribute_exists(pk) AND guardVersion = :expect"),
		ExpressionAttributeValues: item{
			":f": num(int64(g.Failures)), ":w": str(ts(g.WindowStart)), ":l": str(ts(g.LockedUntil)),
			":v": num(g.Version), ":expect": num(expectVersion),
		},
	})
	if isConditionFailed(err) {
		var probe base
		found, gerr := s.get(ctx, k, &probe)
		if gerr != nil {
			return gerr
		}
		if !found {
			return notFound
		}
		return accounts.ErrStale
	}
	return classify(err)
}

// Staff implements accounts.Repository.
func (s *Store) Staff(ctx context.Context, username string) (accounts.Staff, error) {
	var it staffItem
	found, err := s.get(ctx, staffKey(username), &it)
	if err != nil {
		return accounts.Staff{}, err
	}
	if !found {
		return accounts.Staff{}, accounts.ErrStaffNotFound
	}
	return accounts.Staff{
		Username: it.Username, PasswordHash: it.PasswordHash, Role: catalog.Role(it.Role),
		Status: accounts.Status(it.Status), CreatedAt: parseTS(it.CreatedAt), Guard: it.guard(),
	}, nil
}

// PutStaff implements accounts.Repository.
func (s *Store) PutStaff(ctx context.Context, st accounts.Staff, onlyIfAbsent bool) error {
	it := staffItem{
		base:     baseOf(staffKey(st.Username), kindStaff),
		Username: st.Username, PasswordHash: st.PasswordHash, Role: string(st.Role), Status: string(st.Status), CreatedAt: ts(st.CreatedAt),
	}
	return s.putMaybeNew(ctx, it, onlyIfAbsent)
}

// Client implements accounts.Repository.
func (s *Store) Client(ctx context.Context, id string) (accounts.ServiceClient, error) {
	var it clientItem
	found, err := s.get(ctx, clientKey(id), &it)
	if err != nil {
		return accounts.ServiceClient{}, err
	}
	if !found {
		return accounts.ServiceClient{}, accounts.ErrClientNotFound
	}
	return accounts.ServiceClient{ClientID: it.ClientID, SecretHash: it.SecretHash, Status: accounts.Status(it.Status), CreatedAt: parseTS(it.CreatedAt)}, nil
}

// PutClient implements accounts.Repository.
func (s *Store) PutClient(ctx context.Context, c accounts.ServiceClient, onlyIfAbsent bool) error {
	it := clientItem{
		base:     baseOf(clientKey(c.ClientID), kindClient),
		ClientID: c.ClientID, SecretHash: c.SecretHash, Status: string(c.Status), CreatedAt: ts(c.CreatedAt),
	}
	return s.putMaybeNew(ctx, it, onlyIfAbsent)
}

func (s *Store) putMaybeNew(ctx context.Context, v any, onlyIfAbsent bool) error {
	if onlyIfAbsent {
		return s.putNew(ctx, v, accounts.ErrExists)
	}
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: marshal(v)})
	return classify(err)
}

// CreateFamily implements accounts.Repository.
func (s *Store) CreateFamily(ctx context.Context, f accounts.Family) error {
	return s.putNew(ctx, newFamilyItem(f), apperr.Internal(errors.New("refresh family id reused")))
}

// Family implements accounts.Repository.
func (s *Store) Family(ctx context.Context, id string) (accounts.Family, error) {
	var it familyItem
	found, err := s.get(ctx, familyKey(id), &it)
	if err != nil {
		return accounts.Family{}, err
	}
	if !found {
		return accounts.Family{}, accounts.ErrFamilyNotFound
	}
	return accounts.Family{
		ID: it.FamilyID, Subject: it.Subject, Role: catalog.Role(it.Role), Generation: it.Generation, Revoked: it.Revoked,
		CreatedAt: parseTS(it.CreatedAt), ExpiresAt: parseTS(it.ExpiresAt),
	}, nil
}

// RotateFamily implements accounts.Repository.
func (s *Store) RotateFamily(ctx context.Context, id string, from int64, expiresAt time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       familyKey(id).av(),
		UpdateExpression:          aws.String("SET generation = :next, expiresAt = :exp, #ttl = :ttl"),
		ConditionExpression:       aws.String("generation = :from AND revoked = :false"),
		ExpressionAttributeNames:  map[string]string{"#ttl": catalog.AttrTTL},
		ExpressionAttributeValues: item{":next": num(from + 1), ":from": num(from), ":false": &types.AttributeValueMemberBOOL{Value: false}, ":exp": str(ts(expiresAt)), ":ttl": num(familyTTL(expiresAt))},
	})
	if isConditionFailed(err) {
		return accounts.ErrStale
	}
	return classify(err)
}

// RevokeFamily implements accounts.Repository.
func (s *Store) RevokeFamily(ctx context.Context, id string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       familyKey(id).av(),
		UpdateExpression:          aws.String("SET revoked = :true"),
		ConditionExpression:       aws.String(condExists.expr),
		ExpressionAttributeValues: item{":true": &types.AttributeValueMemberBOOL{Value: true}},
	})
	if isConditionFailed(err) {
		return accounts.ErrFamilyNotFound
	}
	return classify(err)
}
