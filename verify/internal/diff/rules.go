package diff

import (
	"github.com/kyso-project/kyso/internal/i18n"
	"slices"
)

// Role is what an object is for in the signed revision: the engine judges
// a changed object by its most sensitive role (a page that is also listed
// as an annotation is judged as a page).
type Role string

const (
	RoleFile       Role = "file"       // bytes after %%EOF, cross-reference sections, trailer
	RoleNew        Role = "new"        // an object a later revision creates
	RoleFreed      Role = "freed"      // an object a later revision deletes
	RoleObjStm     Role = "objstm"     // an object stream of the signed revision
	RoleCatalog    Role = "catalog"    // the document catalog
	RoleExtensions Role = "extensions" // the catalog's /Extensions (and /MarkInfo) held indirectly
	RoleForm       Role = "form"       // the interactive form (/AcroForm)
	RoleFieldList  Role = "field-list" // /AcroForm /Fields, a field's /Kids
	RoleField      Role = "field"      // a field dictionary or a widget merged with it
	RoleSignature  Role = "signature"  // the signature dictionary of a signed field
	RolePage       Role = "page"       // a page object
	RolePageNode   Role = "page-node"  // an intermediate node of the page tree
	RoleAnnotList  Role = "annot-list" // a page's /Annots array
	RoleAnnot      Role = "annotation" // an annotation that is not a field's widget
	RoleAppearance Role = "appearance" // an appearance dictionary or stream (/AP)
	RoleDSS        Role = "dss"        // the document security store and its parts
	RoleMetadata   Role = "metadata"   // the catalog's XMP /Metadata stream
	RoleInfo       Role = "info"       // the document information dictionary (/Info)
	RoleStruct     Role = "struct"     // the structure tree (tags)
	RoleObject     Role = "object"     // anything else the signed document uses
	RoleUnused     Role = "unused"     // an object nothing in either revision uses
)

// Roles lists every role, in the order the engine tries them.
var Roles = []Role{RoleFile, RoleNew, RoleFreed, RoleObjStm, RoleCatalog, RoleForm, RoleFieldList, RoleSignature,
	RolePage, RolePageNode, RoleAnnotList, RoleField, RoleAnnot, RoleDSS, RoleMetadata, RoleAppearance,
	RoleInfo, RoleExtensions, RoleStruct, RoleObject, RoleUnused}

// Rule is one reason a change is, or is not, acceptable.
type Rule struct {
	// ID is stable: scripts match on it (Report.Findings).
	ID string
	// Doc says in one sentence what the rule judges and why.
	Doc string
	// Roles are the roles of the objects it judges.
	Roles []Role
	// Level is the level of its findings.
	Level Level
	// Reject makes each of its findings a problem whatever the permission
	// (a shadow attack can hide in a change of an allowed level).
	Reject bool
}

// Policy is the list of rules in force. A change explained by a rule that
// is not in the policy is judged Unexplained: removing a rule can only
// make the analysis stricter.
type Policy struct {
	rules map[string]Rule
}

// NewPolicy makes a policy of rules; Unexplained is always part of it.
func NewPolicy(rules ...Rule) (*Policy, error) {
	p := &Policy{rules: map[string]Rule{Unexplained: registry[Unexplained]}}
	for _, r := range rules {
		if _, dup := p.rules[r.ID]; dup && r.ID != Unexplained {
			return nil, i18n.Errorf("rule %s listed twice", r.ID)
		}
		p.rules[r.ID] = r
	}
	return p, nil
}

// DefaultPolicy is every rule of the registry.
func DefaultPolicy() *Policy {
	p, err := NewPolicy(Rules()...)
	if err != nil {
		panic(err)
	}
	return p
}

// Rules lists the registry, sorted by ID.
func Rules() []Rule {
	out := make([]Rule, 0, len(registry))
	for _, r := range registry {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Rule) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// Lookup finds a rule of the registry.
func Lookup(id string) (Rule, bool) {
	r, ok := registry[id]
	return r, ok
}

// Unexplained is the rule of last resort: a change no other rule explains.
const Unexplained = "unexplained"

var registry = map[string]Rule{}

// rule registers a rule at init; its ID is the constant the judges cite.
func rule(id string, level Level, doc string, roles ...Role) string {
	if _, dup := registry[id]; dup {
		panic("diff: rule " + id + " registered twice")
	}
	registry[id] = Rule{ID: id, Doc: doc, Roles: roles, Level: level}
	return id
}

func rejecting(id string) string {
	r := registry[id]
	r.Reject = true
	registry[id] = r
	return id
}

// The rules. Each judge cites these constants; docs/verify-changes.md's
// table is generated from them (TestRulesDoc).
var (
	_ = rule(Unexplained, Other, "A changed or new object that no rule of the policy explains is refused (reject by default).",
		RoleObject, RoleFile, RoleNew, RoleFreed, RoleObjStm, RoleCatalog, RoleForm, RoleFieldList, RoleSignature, RolePage,
		RolePageNode, RoleAnnotList, RoleField, RoleAnnot, RoleDSS, RoleMetadata, RoleAppearance, RoleInfo, RoleExtensions, RoleStruct)

	ruleTailUpdate    = rule("file.update-after-eof", Other, "Objects, xref, trailer or startxref after the last %%EOF are an update that only viewers repairing the file would show, and so is more than 512 bytes of white space there (it keeps startxref out of the last 1024 bytes, where readers look).", RoleFile)
	ruleUnlisted      = rule("file.update-unlisted-object", Other, "The bytes of an update after signing may define only the objects its cross-reference section lists, at the offsets it lists, stream data included: readers that rebuild the cross-reference by scanning the file (poppler, on any missing or wrong entry) show objects the analysis never saw.", RoleFile)
	ruleDanglingNew   = rule("change.dangling-reference", Other, "A change after signing may not add a reference (in an object or the trailer) to an object number its revision does not list or lists free: resolving it, readers such as poppler rebuild the cross-reference by scanning the file.", RoleFile)
	ruleXrefInSigned  = rule("file.xref-in-signed-bytes", Other, "A later cross-reference section must lie after the signed bytes.", RoleFile)
	ruleRootExisting  = rule("file.root-existing-object", Other, "The trailer's /Root may move only to a new object, never to one the signed document already had.", RoleFile)
	ruleEncrypt       = rule("file.encrypt-changed", Other, "The trailer's /Encrypt may not change.", RoleFile)
	ruleXrefDup       = rule("file.xref-duplicate-entry", Other, "A later cross-reference section may not list an object number twice: readers disagree on which entry counts, so viewers can show different documents.", RoleFile)
	ruleXrefDupSigned = rule("file.xref-duplicate-in-signed", Other, "The signed revision (or one before it) may not list an object number twice with different entries: readers disagree on which counts, so the signer may have seen another document than the one verified.", RoleFile)
	ruleAmbiguous     = rule("file.ambiguous-object", Other, "No object kyso reads may be one that PDF readers resolve differently (a dictionary giving one key twice with different values, or a value and null; a reference naming a generation the cross-reference does not list; an object stream listing one number twice with different objects): viewers then show different documents from the same bytes.", RoleFile)
	ruleHybrid        = rule("file.hybrid-xref-disagrees", Other, "A later hybrid cross-reference section (a table whose trailer has /XRefStm) may not mark an object of the signed document free in its table while its stream lists it in use: viewers that follow the table show the object deleted, those that follow the stream show it (new objects that only the stream lists, in object streams, are the usual hybrid pattern and judged as new objects).", RoleFile)
	ruleHybridSigned  = rule("file.hybrid-xref-disagrees-in-signed", Other, "The signed revision (or one before it) may not have a hybrid cross-reference section whose table marks free an object the revision before had while its /XRefStm stream lists it in use: viewers resolve it differently, so the signer may have seen another document than the one verified.", RoleFile)
	rulePastEnd       = rule("file.entry-past-revision-end", Other, "An entry of the signed revision (or one before it) may not point at or past the end of its revision: the object there was written after signing.", RoleFile)
	ruleXrefNumber    = rule("file.xref-stream-reuses-number", Other, "A cross-reference stream may not take the number of an existing object.", RoleFile)
	ruleUnanalysable  = rule("file.revision-unanalysable", Other, "A revision that cannot be read or analysed is refused.", RoleFile)
	ruleUnreadable    = rule("object.unreadable", Other, "A changed object that cannot be read in either revision is refused.", RoleObject)
	ruleNotDict       = rule("object.becomes-stream", Other, "An object whose role requires a dictionary (page, field, annotation ...) may not be or become a stream, which can be drawn.",
		RoleCatalog, RoleForm, RoleFieldList, RoleSignature, RolePage, RolePageNode, RoleAnnotList, RoleField, RoleAnnot, RoleDSS, RoleInfo)
	ruleShared = rule("object.shared", Other, "An object changed for a harmless role (DSS, metadata, /Info, tags, appearance) that the signed document also uses for something else is refused.", RoleDSS, RoleMetadata, RoleInfo, RoleStruct, RoleExtensions, RoleAnnotList, RoleAppearance)
	ruleUnused = rule("object.unused", None, "A changed object that neither revision uses is nothing.", RoleUnused)
	ruleHidden = rule("object.unreadable-referrer", Other, "When the revision before a change has objects kyso cannot read, what they refer to is unknown: a changed object no readable object uses, a new object nothing readable reaches, or a change accepted only if nothing else uses the object (DSS, metadata, /Info, tags, appearance) is refused rather than judged unused, orphaned or confined.",
		RoleUnused, RoleNew, RoleDSS, RoleMetadata, RoleInfo, RoleStruct, RoleExtensions, RoleAnnotList, RoleAppearance)
	ruleFreed    = rule("object.freed", Other, "Deleting (freeing) an object of the signed document is refused.", RoleFreed)
	ruleObjStm   = rule("objstm.replaced", Other, "Replacing an object stream of the signed document changes every object in it and is refused.", RoleObjStm)
	ruleDangling = rule("new.fills-dangling-reference", Other, "A new object that an unchanged signed object already referred to while it did not exist is refused.", RoleNew)
	ruleNewUnref = rule("new.unexplained", Other, "A new object reachable from a changed object must be referred to by a change a rule accepted.", RoleNew)

	ruleInfoReplaced = rule("info.replaced", Archival, "The trailer's /Info (document information) may point at a new dictionary.", RoleInfo, RoleFile)
	ruleInfoUpdated  = rule("info.updated", Archival, "The document information dictionary may be rewritten if nothing else uses it.", RoleInfo)
	ruleMetadata     = rule("metadata.updated", Archival, "The catalog's XMP /Metadata stream may be rewritten if only the catalog uses it.", RoleMetadata)
	ruleExtensions   = rule("extensions.updated", Archival, "An indirect catalog /Extensions or /MarkInfo (and the extension dictionaries in it) may be rewritten if only the catalog uses it.", RoleExtensions)

	ruleCatalogNotDict  = rule("catalog.not-dictionary", Other, "The catalog may not be replaced by something that is not a dictionary.", RoleCatalog)
	ruleCatalogArchival = rule("catalog.archival-key", Archival, "The catalog's /Metadata, /Extensions, /MarkInfo and /Version may change (declarations, no content).", RoleCatalog)
	ruleCatalogStruct   = rule("catalog.struct-tree", FormFill, "The catalog's /StructTreeRoot may change, as tools do when they tag a new field.", RoleCatalog)
	ruleCatalogPerms    = rule("catalog.perms", Other, "The catalog's /Perms (certification and usage-rights signatures) may not change.", RoleCatalog)
	ruleCatalogPages    = rule("catalog.pages", Other, "The catalog's /Pages may not change: the document would show another page tree.", RoleCatalog)
	ruleCatalogKey      = rule("catalog.other-key", Other, "Any other catalog key (/Names, /OpenAction, /AA, /OCProperties ...) may not change.", RoleCatalog)
	ruleCatalogTwice    = rule("catalog.rewritten-twice", Other, "The old catalog may not be rewritten while a new one takes its place.", RoleCatalog)

	ruleDSSAdded    = rule("dss.added", Archival, "A document security store (validation data) may be added or updated.", RoleCatalog, RoleDSS)
	ruleDSSRemoved  = rule("dss.removed", Archival, "The catalog's /DSS may be removed (validation data only).", RoleCatalog)
	ruleDSSExisting = rule("dss.existing-object", Other, "The catalog's /DSS may not point at an object the signed document already had.", RoleCatalog)
	ruleDSSKey      = rule("dss.foreign-key", Other, "A DSS may hold only /Type, /VRI, /Certs, /CRLs, /OCSPs and /TS.", RoleCatalog, RoleDSS)
	ruleDSSStream   = rule("dss.stream-rewritten", Other, "Validation data streams are only ever added, never rewritten in place.", RoleDSS)
	ruleDSSNotDict  = rule("dss.not-dictionary", Other, "The DSS may not be replaced by something that is not a dictionary.", RoleDSS)

	ruleFormNotDict    = rule("form.not-dictionary", Other, "The interactive form may not be removed or replaced by something that is not a dictionary.", RoleForm, RoleCatalog)
	ruleFormExisting   = rule("form.existing-object", Other, "The catalog's /AcroForm or the form's /Fields may not point at an existing object.", RoleCatalog, RoleForm)
	ruleSigFlags       = rule("form.sigflags", Archival, "The form's /SigFlags may be set.", RoleForm)
	ruleDefaultsAdd    = rule("form.defaults-added", Archival, "Form defaults (/DR, /DA, /Q) may be added to, leaving every old entry as it was, when no field is drawn from them: every field that would inherit them has its own appearance and /NeedAppearances is not true (signing tools add /DA and /DR with a signature field).", RoleForm)
	ruleDefaultsChg    = rule("form.defaults-changed", FormFill, "Form defaults (/DR, /DA, /Q) changed or removed, /NeedAppearances changed, or defaults added that viewers use to draw a field (one that has no appearance and inherits them, or any when /NeedAppearances is true) are form filling: they change what fields look like, which P=1 does not permit.", RoleForm)
	ruleDefaultsFrozen = rule("form.defaults-redraw-frozen", Other, "A change of the form defaults (/DR, /DA, /Q) or of /NeedAppearances may not reach a field locked by FieldMDP or a signed signature field: viewers would draw it anew from the changed defaults or from its value.", RoleForm)
	ruleFormKey        = rule("form.other-key", Other, "Any other key of the interactive form (/XFA, /CO ...) may not change.", RoleForm)

	ruleFieldRemoved     = rule("fields.removed", Other, "A field may not be removed from the form.", RoleFieldList, RoleForm)
	ruleFieldNotRef      = rule("fields.entry-not-reference", Other, "A field list may gain only references to new fields.", RoleFieldList, RoleForm)
	ruleFieldExisting    = rule("fields.existing-object-added", Other, "An existing object may not be added to a field list.", RoleFieldList, RoleForm)
	ruleNewNotDict       = rule("field.new-not-dictionary", Other, "A new field must be a dictionary.", RoleFieldList, RoleForm)
	ruleNewNotSig        = rule("field.new-not-signature", Other, "Only signature fields may be added after signing.", RoleFieldList, RoleForm)
	ruleNewOldWidget     = rule("field.new-widget-not-new", Other, "The widgets of a new signature field must be new objects.", RoleFieldList, RoleForm)
	ruleNewOldValue      = rule("field.new-reuses-signature", Other, "A new signature field may not reuse an existing object as its signature.", RoleFieldList, RoleForm)
	ruleNewSignature     = rule("field.new-signature", FormFill, "A new signature field, empty or signed, is signing (form filling).", RoleFieldList, RoleForm)
	ruleNewEmptyCovering = rule("field.new-empty-covering", Annotation, "A new empty signature field whose widget draws an appearance (or a background or border) on the page can cover the signed content as a covering annotation can: an annotation change, with a warning.", RoleFieldList, RoleForm)
	ruleNewDocTS         = rule("field.new-document-timestamp", Archival, "A new invisible document timestamp field is archival.", RoleFieldList, RoleForm)
	ruleNewVisible       = rule("field.new-visible-after-certification", Other, "After a certification signature, a new signature or timestamp may not be visible: its appearance can draw over the certified content (sneaky signature).", RoleFieldList, RoleForm)

	ruleFieldNotDict  = rule("field.not-dictionary", Other, "A field may not be replaced by something that is not a dictionary.", RoleField)
	ruleFieldKids     = rule("field.kids", Other, "A field's /Kids may not change: filling in a form never adds or removes widgets.", RoleField)
	ruleFieldType     = rule("field.type", Other, "A field's /Type may change only by /Type /Annot being added to a widget.", RoleField)
	ruleFieldKey      = rule("field.key-not-fillable", Other, "A field or widget key that form filling never changes (/FT, /T, /Rect, /Parent, /MK, /A, /AA ...) may not change.", RoleField)
	ruleFieldSigned   = rule("field.signed-changed", Other, "A signature field already signed may not change (its flags aside), nor may a parent field change an attribute it inherits.", RoleField, RoleAppearance)
	ruleFieldLocked   = rule("field.locked-changed", Other, "A field locked by a FieldMDP signature may not change (its flags aside), nor may a parent field change an attribute it inherits (/V, /DV, /DA, /Q, /FT, /MaxLen).", RoleField, RoleAppearance)
	ruleSignExisting  = rule("field.signed-with-existing-object", Other, "An empty signature field may not be given an existing object as its signature.", RoleField)
	ruleFieldSigned2  = rule("field.signed-in", FormFill, "Signing an empty signature field is form filling.", RoleField)
	ruleFieldDocTS    = rule("field.document-timestamp-in", Archival, "An invisible document timestamp in an empty signature field is archival.", RoleField)
	ruleValueExisting = rule("field.value-existing-object", Other, "A field's /V, /RV, /DA or /DS may not point at an existing object.", RoleField)
	ruleFieldFill     = rule("field.fill", FormFill, "Filling in a field changes only the keys of FormFillKeys (value, appearance, appearance state, text defaults, flags).", RoleField)

	ruleAPExisting = rule("appearance.existing-object", Other, "A field's /AP may not point at, or use, an object the signed document already had (it would show signed content elsewhere).", RoleField, RoleAppearance)
	ruleAPShared   = rule("appearance.shared", Other, "An appearance rewritten in place must be used by nothing else in the signed document (shadow replace).", RoleAppearance)
	ruleAPNotDraw  = rule("appearance.not-stream", Other, "An appearance may not become something that is neither a stream nor a dictionary.", RoleAppearance)
	ruleAPField    = rule("appearance.field-rewritten", FormFill, "A field's appearance rewritten in place, used by nothing else, is form filling.", RoleAppearance)
	ruleAPAnnot    = rule("appearance.annotation-rewritten", Annotation, "An annotation's appearance rewritten in place, used by nothing else, is an annotation change.", RoleAppearance)
	ruleSigDict    = rule("signature.changed", Other, "The signature dictionary of a signed field may not change.", RoleSignature)

	rulePageNotDict     = rule("page.not-dictionary", Other, "A page or page tree node may not be replaced by something that is not a dictionary.", RolePage, RolePageNode)
	rulePageContents    = rule("page.contents", Other, "A page's /Contents may not change: the page would show other content.", RolePage)
	rulePageResources   = rule("page.resources", Other, "A page's /Resources (fonts, images, forms it draws) may not change.", RolePage)
	rulePageTree        = rule("page.tree", Other, "The page tree's /Kids and /Count may not change: pages added, removed or reordered.", RolePageNode)
	rulePageField       = rule("page.field-keys", FormFill, "A page's /StructParents and /Tabs may be set for a new field.", RolePage, RolePageNode)
	rulePageDisplay     = rule("page.display-key", Other, "A page key that changes what it shows or does (boxes, /Rotate, /Group, /AA ...) may not change.", RolePage, RolePageNode)
	rulePageBookkeep    = rule("page.bookkeeping", Archival, "Page keys no viewer draws (/LastModified, /PieceInfo, /Metadata, private keys) may change.", RolePage, RolePageNode)
	ruleAnnotsExist     = rule("annots.existing-object", Other, "A page's /Annots may not point at an existing object.", RolePage)
	ruleAnnotsNotArr    = rule("annots.not-array", Other, "A page's /Annots may not be replaced by something that is not an array.", RoleAnnotList)
	ruleWidgetRemoved   = rule("annots.widget-removed", Other, "A field's widget may not be removed from its page.", RolePage, RoleAnnotList)
	ruleAnnotDeleted    = rule("annots.deleted", Annotation, "Deleting a comment (an annotation that is not a widget) is an annotation change.", RolePage, RoleAnnotList)
	ruleAnnotReorder    = rule("annots.reordered", Annotation, "Reordering a page's annotations changes which is drawn on top: an annotation change.", RolePage, RoleAnnotList)
	ruleAnnotNotAnnot   = rule("annots.entry-not-annotation", Other, "A page's /Annots may gain only annotation dictionaries.", RolePage, RoleAnnotList)
	ruleWidgetOfNew     = rule("annots.new-field-widget", None, "The widget of a new signature field may join its page's /Annots; the field's own finding judges it.", RolePage, RoleAnnotList)
	ruleWidgetPlaced    = rule("annots.widget-placed", FormFill, "The widget of an existing, unsigned and unlocked field may be placed on a page when it draws nothing, or when the same revision fills in the field: its value changes and the widget gets a new appearance (or none, which viewers build from the value).", RolePage, RoleAnnotList)
	ruleWidgetFrozen    = rule("annots.frozen-widget-placed", Other, "The widget of a signed or locked field may not be placed on a page unchanged.", RolePage, RoleAnnotList)
	ruleWidgetShown     = rule("widget.shown-unfilled", Annotation, "A widget of an existing field placed on a page or made visible (Hidden or NoView cleared) while its field is not filled in (the value or the appearance unchanged) draws an appearance prepared before signing over the page, as a new annotation does: an annotation change, with a warning.", RolePage, RoleAnnotList, RoleField)
	ruleWidgetShownCert = rule("widget.shown-after-certification", Other, "After a certification signature, a widget of an existing field may not be placed on a page or made visible unless the same revision fills in its field: its prepared appearance would draw over the certified content (sneaky signature).", RolePage, RoleAnnotList, RoleField)
	ruleWidgetOrphan    = rule("annots.orphan-widget-added", Other, "A widget that belongs to no new signature field may not be added to a page.", RolePage, RoleAnnotList)
	ruleAnnotAdded      = rule("annots.added", Annotation, "Adding a comment (an annotation that is not a widget) is an annotation change.", RolePage, RoleAnnotList)

	ruleAnnotNotDict = rule("annotation.not-dictionary", Other, "An annotation may not be replaced by something that is not a dictionary.", RoleAnnot)
	ruleAnnotWidget  = rule("annotation.orphan-widget-changed", Other, "A widget that belongs to no field may not change.", RoleAnnot)
	ruleAnnotSubtype = rule("annotation.subtype-changed", Other, "An annotation may not change its /Subtype or become a widget.", RoleAnnot)
	ruleAnnotRes     = rule("annotation.resources", Other, "An annotation may not gain resource keys (/Font, /XObject ...), which annotations never hold.", RoleAnnot)
	ruleAnnotRefs    = rule("annotation.refers-existing-object", Other, "A modified annotation may not start to refer to existing objects other than pages and annotations.", RoleAnnot)
	ruleAnnotChanged = rule("annotation.modified", Annotation, "Modifying a comment is an annotation change.", RoleAnnot)
	ruleUncovers     = rejecting(rule("annotation.uncovers", Annotation, "Removing an annotation of the signed revision that draws something over the page (any type: an appearance with content, or what viewers draw for it, with a rectangle and flags that show it on screen or on paper), or changing what it draws (/AP re-pointed or rewritten in place, /AS, /Rect, /F hiding it, colours ...), may reveal content hidden under it (shadow hide), also for annotations written directly in /Annots: refused whatever the permission.", RoleAnnot, RolePage, RoleAnnotList, RoleAppearance))

	ruleStructKind    = rule("struct.kind-changed", Other, "A part of the structure tree may not change kind (dictionary, array).", RoleStruct)
	ruleStructEntry   = rule("struct.entry-changed", Other, "What a structure element says (/S, /Alt, /ActualText ...) may not change.", RoleStruct)
	ruleStructUpdated = rule("struct.updated", FormFill, "The structure tree may gain entries (/K, parent and ID trees) for a new field.", RoleStruct)
)
