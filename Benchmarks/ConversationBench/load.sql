-- conversation-bench's bulk loader: :conversations conversations with about ten messages each
-- (1 to 19, 10 on average), their contacts and identities, straight into the `conversations`
-- schema that conversation-service has migrated (migrations 1 and 2), set-based
-- (INSERT ... SELECT ... FROM generate_series), as the schema's owner. Run by
-- Benchmarks/run-conversation-bench through psql as the superuser:
--
--   psql -v bench_org=<id> -v small_orgs='<id> <id> <id>' -v conversations=100000 -f load.sql
--
-- The shape of a real inbox: one large organisation (`bench_org`) and a few small ones (1 % of the
-- conversations each); platforms mixed like a European retailer's; 60 % open, 20 % pending, 20 %
-- resolved; 30 % assigned across 50 agents (`agent-1` ... `agent-50`); the last activity spread
-- over 90 days, denser towards today. Message bodies are drawn from a vocabulary of about 3,000
-- words (English and French, accents included, then a tail of rare product and place names) with
-- a Zipf-like frequency (word rank r drawn with probability ~ 1/r), so text queries meet posting
-- lists of realistic lengths. Every conversation's counters and pointers (message_count,
-- last_message_at / _id, preview, last customer message and team reply, waiting_since,
-- first_response_at, unread_count, last_read_at) agree with its messages, as IngestEvents and
-- SendReply would have left them. Internal notes are counted in message_count but are never a
-- conversation's latest message (a note is not activity).
\set ON_ERROR_STOP on
\set QUIET on
SET ROLE inbox_conversations;
SET search_path = conversations, pg_temp;
SET work_mem = '64MB';
SET maintenance_work_mem = '256MB';
SELECT setseed(0.2024) \gset

BEGIN;

-- The vocabulary, most frequent first: its rank is its position.
CREATE TEMP TABLE bench_words (rank integer PRIMARY KEY, word text NOT NULL) ON COMMIT DROP;
INSERT INTO bench_words (rank, word)
SELECT row_number() OVER (ORDER BY first) - 1, word
FROM (
    SELECT word, min(ordinality) AS first
    FROM unnest(regexp_split_to_array($words$
the de to la and le i je you et a est is pas it un my une of les for que in des on pour me en have du
this ne not avec with mon your ce can vous what sur be au please merci are il do qui thanks bonjour
hello nous but plus was mais we si so ou an elle at ai if très from votre all être will été just ça
no oui yes how comment when quand there déjà get fait want veux need besoin still encore order
commande delivery livraison hi salut thank remercie would voudrais could pourriez know sais sorry
désolé time temps day jour days jours since depuis received reçu reçue package colis refund
remboursement problem problème help aide account compte payment paiement card carte number numéro
email address adresse tracking suivi shipping expédition store magasin product produit price prix
size taille return retour exchange échange invoice facture week semaine today yesterday hier
tomorrow demain morning matin evening soir again toujours wrong mauvais item article arrived arrivé
arrivée livré delivered sent envoyé envoyée paid payé cancel annuler cancelled annulé refunded
remboursé exchanged échangé answer réponse reply répondre waiting attente attendre late retard
retardé delay délai contact service client customer support team équipe message phone téléphone
call appel online ligne website site app application login connexion password mot passe reset
code discount réduction promo offer offre free gratuit cost coût fee frais charge débité charged
twice deux fois double montant amount total euros euro dollars receipt ticket caisse bought acheté
purchase achat shop boutique click collect retrait pickup point relais courier livreur box boîte
damaged abîmé broken cassé missing manquant manque open ouvert closed fermé hours heures horaires
weekend samedi dimanche lundi mardi mercredi jeudi vendredi january janvier february février
march mars april avril may mai june juin july juillet august août september septembre october
octobre november novembre december décembre noël christmas gift cadeau wrapping emballage color
couleur black noir white blanc red rouge blue bleu green vert grey gris pink rose beige marine
small petit petite medium moyen large grand grande fit coupe too trop short court long longue
quality qualité great super génial parfait perfect love adore nice sympa bad nul terrible horrible
disappointed déçu déçue happy content contente satisfied satisfait unhappy mécontent angry fâché
urgent urgence asap rapidement quickly vite slow lent soon bientôt already finally enfin maybe
peut être sure sûr certain really vraiment actually effectivement exactly exactement because parce
why pourquoi where où who which quel quelle quels these ces those other autre autres same même
first premier première last dernier dernière next prochain prochaine new nouveau nouvelle old ancien
vieux good bon bonne better mieux best meilleur cheap cher chère expensive here ici now maintenant
then ensuite after après before avant during pendant until jusqu soon tôt tard later plus tard
shoes chaussures dress robe shirt chemise jacket veste coat manteau jeans pantalon sweater pull bag
sac watch montre ring bague necklace collier perfume parfum cream crème makeup maquillage skin peau
hair cheveux coffee café tea thé chocolate chocolat cake gâteau bread pain cheese fromage wine vin
hotel hôtel room chambre booking réservation reservation flight vol train gare station airport
aéroport ticket billet seat place trip voyage holiday vacances stay séjour breakfast déjeuner dinner
dîner restaurant table menu bill addition tip pourboire manager responsable staff personnel
friendly aimable rude impoli clean propre dirty sale noise bruit window fenêtre door porte key clé
heating chauffage water eau shower douche bathroom salle bain towel serviette wifi internet
subscription abonnement plan forfait renew renouveler unsubscribe désabonner stop arrêter start
commencer newsletter notification update mise jour version bug erreur error crash plante screen
écran photo picture image video vidéo link lien file fichier document pdf form formulaire sign
signer contract contrat terms conditions warranty garantie repair réparation replace remplacer
replacement remplacement technician technicien appointment rendez vous visit visite address
domicile home maison apartment appartement building immeuble floor étage elevator ascenseur
parking garage city ville paris lyon marseille lille bordeaux toulouse nantes strasbourg london
berlin madrid bruxelles genève montréal québec france belgique suisse canada germany england spain
family famille husband mari wife femme son fils daughter fille mother mère father père brother frère
sister sœur child enfant children enfants baby bébé friend ami amie neighbour voisin school école
student élève étudiant teacher professeur work travail job boulot office bureau company société
business entreprise shop magasin owner propriétaire heart cœur health santé doctor médecin
pharmacy pharmacie medicine médicament allergy allergie gluten lactose vegan végétarien organic
bio fresh frais fraîche cold froid hot chaud warm tiède ice glace sugar sucre salt sel spicy épicé
sweet doux sucré taste goût smell odeur age âge task tâche pasta pâtes theatre théâtre cinema cinéma
show spectacle concert music musique book livre magazine journal news nouvelles article
interested intéressé intéressée preferred préféré favourite favori wish souhaite hope espère
believe crois think pense feel sens understand comprends explain expliquer confirm confirmer
confirmation verify vérifier check regarder look see voir show montrer tell dire said dit ask
demander asked demandé request demande requested contacted contacté called appelé emailed
written écrit wrote waiting attends expected prévu planned supposed censé promised promis
evidently évidemment obviously naturally naturellement unfortunately malheureusement luckily
heureusement honestly franchement seriously sérieusement absolutely absolument completely
complètement totally totalement partially partiellement nothing rien something quelque chose
everything tout everyone tous anyone personne someone quelqu nobody aucun none never jamais always
often souvent sometimes parfois rarely rarement once une twice trois quatre cinq six sept huit neuf
dix hundred cent thousand mille half moitié quarter quart minute minutes hour heure month mois year
année years ans ago il y naïve naïf forêt plutôt français française garçon fière élan éclair
$words$, '\s+')) WITH ORDINALITY AS v(word, ordinality)
    WHERE word <> ''
    GROUP BY word
) AS listed;

-- The long tail: product, brand and place names (three syllables, some accented), all rare.
INSERT INTO bench_words (rank, word)
SELECT (SELECT max(rank) FROM bench_words) + row_number() OVER (ORDER BY first), word
FROM (
    SELECT min(n) AS first, syllables.s[1 + (n * 7) % 44] || syllables.s[1 + (n * 13 + n / 44) % 44]
        || syllables.s[1 + (n * 29 + n / 7) % 44] AS word
    FROM generate_series(0, 2599) AS n,
        (
            SELECT regexp_split_to_array(
                'ba be bi bo da dé di do fa fé fi ga gè la lé li lo ma mé mi mo na né ni no '
                || 'pa pé pi ra ré ri ro sa sé si so ta té ti to va vé vi vo', ' ') AS s
        ) AS syllables
    GROUP BY word
) AS tail
WHERE word NOT IN (SELECT word FROM bench_words);

SELECT count(*) AS vocabulary FROM bench_words \gset

-- 50,000 phrases of 3 to 10 words; a body is two of them (2.5 billion combinations), sometimes
-- with an order number (a token seen once).
CREATE TEMP TABLE bench_phrases (i integer PRIMARY KEY, text text NOT NULL) ON COMMIT DROP;
INSERT INTO bench_phrases (i, text)
SELECT i, string_agg(w.word, ' ' ORDER BY draw.j)
FROM generate_series(0, 49999) AS i
CROSS JOIN LATERAL (
    SELECT j, least(:vocabulary - 1, floor(exp(random() * ln(:vocabulary + 1)))::integer - 1) AS rank
    FROM generate_series(1, 3 + i % 8) AS j
) AS draw
JOIN bench_words w ON w.rank = draw.rank
GROUP BY i;

SELECT :conversations / 100 AS small_each, :conversations - 3 * (:conversations / 100) AS bench_count \gset

-- The conversations, with everything drawn per row (each random() once per row: a materialised
-- table, so the draws are not re-evaluated by later joins).
CREATE TEMP TABLE bench_draws ON COMMIT DROP AS
SELECT n, random() AS r_platform, random() AS r_kind, random() AS r_status, random() AS r_assign,
    random() AS r_age, random() AS r_span, random() AS r_tag, random() AS r_user
FROM generate_series(1, :conversations) AS n;

CREATE TEMP TABLE bench_conversations ON COMMIT DROP AS
SELECT d.n, gen_random_uuid() AS id,
    CASE WHEN d.n <= :bench_count THEN :'bench_org'
        ELSE (regexp_split_to_array(:'small_orgs', ' '))[1 + (d.n - :bench_count - 1) / :small_each]
    END AS organization_id,
    p.platform, k.kind,
    -- Messages in this conversation: 1..19, 10 on average (7919 is coprime with 19).
    1 + (d.n * 7919) % 19 AS message_total,
    CASE WHEN d.r_status < 0.6 THEN 'open' WHEN d.r_status < 0.8 THEN 'pending' ELSE 'resolved' END AS status,
    CASE WHEN d.r_assign < 0.3 THEN 'agent-' || (1 + (d.n * 37) % 50) END AS assignee_agent_id,
    CASE WHEN d.r_assign < 0.4 THEN 'team-' || (1 + (d.n * 37) % 50 / 10) END AS assignee_team_id,
    -- The last activity: within 90 days, denser towards now; a thread lasts up to 3 days.
    now() - interval '90 days' * (d.r_age * d.r_age) - interval '1 minute' AS last_at,
    interval '3 days' * d.r_span AS span,
    CASE WHEN d.r_tag < 0.04 THEN ARRAY['vip'] WHEN d.r_tag < 0.08 THEN ARRAY['billing']
        WHEN d.r_tag < 0.10 THEN ARRAY['refund', 'billing'] ELSE '{}'::text[] END AS tags,
    -- Direct messages: one thread per customer; others: some customers write several times.
    CASE WHEN k.kind = 'direct_message' THEN d.n ELSE 1 + floor(d.r_user * :conversations)::integer END AS user_n
FROM bench_draws d
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN d.r_platform < 0.30 THEN 'facebook' WHEN d.r_platform < 0.55 THEN 'instagram'
        WHEN d.r_platform < 0.75 THEN 'whatsapp' WHEN d.r_platform < 0.82 THEN 'x'
        WHEN d.r_platform < 0.86 THEN 'linkedin' WHEN d.r_platform < 0.91 THEN 'tiktok'
        WHEN d.r_platform < 0.94 THEN 'telegram' WHEN d.r_platform < 0.98 THEN 'web_chat'
        WHEN d.r_platform < 0.99 THEN 'twilio_sms' ELSE 'wechat' END AS platform
) AS p
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN p.platform IN ('facebook', 'instagram') THEN CASE
            WHEN d.r_kind < 0.60 THEN 'direct_message' WHEN d.r_kind < 0.88 THEN 'comment'
            WHEN d.r_kind < 0.94 THEN 'dark_post_comment'
            WHEN d.r_kind < 0.97 AND p.platform = 'facebook' THEN 'wall_post' ELSE 'mention' END
        WHEN p.platform = 'x' THEN CASE
            WHEN d.r_kind < 0.5 THEN 'direct_message' WHEN d.r_kind < 0.8 THEN 'post' ELSE 'mention' END
        WHEN p.platform = 'linkedin' THEN CASE
            WHEN d.r_kind < 0.4 THEN 'direct_message' WHEN d.r_kind < 0.8 THEN 'comment' ELSE 'mention' END
        WHEN p.platform = 'tiktok' THEN 'comment'
        ELSE 'direct_message' END AS kind
) AS k;

-- Two channels (accounts) per platform and organisation.
ALTER TABLE bench_conversations ADD COLUMN channel_id text, ADD COLUMN account_platform_id text,
    ADD COLUMN customer text, ADD COLUMN thread_key text, ADD COLUMN parent_post_id text;
UPDATE bench_conversations SET
    channel_id = 'ch-' || left(md5(organization_id), 8) || '-' || platform || '-' || (1 + n % 2),
    account_platform_id = 'acct-' || left(md5(organization_id), 8) || '-' || platform || '-' || (1 + n % 2),
    customer = CASE platform WHEN 'whatsapp' THEN '336' || lpad(user_n::text, 8, '0')
        WHEN 'twilio_sms' THEN '+336' || lpad(user_n::text, 8, '0') ELSE 'user-' || user_n END,
    parent_post_id = CASE WHEN kind IN ('comment', 'dark_post_comment') THEN 'post-' || (n % 997) END;
UPDATE bench_conversations SET thread_key = CASE
    WHEN kind = 'direct_message' THEN customer
    WHEN kind IN ('comment', 'dark_post_comment') THEN parent_post_id || '/m-' || n || '-1'
    ELSE 'm-' || n || '-1' END;

-- The messages: the first one from the customer, then customer, team and (rarely) internal
-- notes; times strictly increase with j and end at the conversation's last activity; the last
-- message is never a note.
CREATE TEMP TABLE bench_messages ON COMMIT DROP AS
SELECT c.n, m.j, gen_random_uuid() AS id, c.organization_id, c.id AS conversation_id, c.channel_id,
    CASE WHEN m.j = 1 THEN 'inbound' WHEN m.r_direction < 0.62 THEN 'inbound'
        WHEN m.r_direction < 0.97 OR m.j = c.message_total THEN 'outbound' ELSE 'note' END AS direction,
    c.last_at - c.span * (c.message_total - m.j + 1 - 0.5 * m.r_time) / c.message_total AS platform_time,
    m.r_state, p1.text || ' ' || p2.text
        || CASE WHEN m.r_number < 0.15 THEN ' #' || (100000 + floor(m.r_number * 5999990)::integer) ELSE '' END
        AS body
FROM bench_conversations c
CROSS JOIN LATERAL (
    SELECT j, random() AS r_direction, random() AS r_time, random() AS r_state, random() AS r_number,
        floor(random() * 50000)::integer AS phrase1, floor(random() * 50000)::integer AS phrase2
    FROM generate_series(1, c.message_total) AS j
) AS m
JOIN bench_phrases p1 ON p1.i = m.phrase1
JOIN bench_phrases p2 ON p2.i = m.phrase2;

-- What each conversation's row says about its messages.
CREATE TEMP TABLE bench_summaries ON COMMIT DROP AS
SELECT n, count(*) AS message_count, min(platform_time) AS first_at, max(platform_time) AS last_at,
    max(platform_time) FILTER (WHERE direction = 'inbound') AS last_customer_at,
    max(platform_time) FILTER (WHERE direction = 'outbound') AS last_team_at,
    min(platform_time) FILTER (WHERE direction = 'outbound') AS first_team_at
FROM bench_messages
GROUP BY n;
ALTER TABLE bench_summaries ADD PRIMARY KEY (n);

CREATE TEMP TABLE bench_read_state ON COMMIT DROP AS
SELECT m.n,
    min(m.platform_time) FILTER (
        WHERE m.direction = 'inbound' AND (s.last_team_at IS NULL OR m.platform_time > s.last_team_at)
    ) AS waiting_since,
    count(*) FILTER (
        WHERE m.direction = 'inbound' AND c.status <> 'resolved'
            AND (s.last_team_at IS NULL OR m.platform_time > s.last_team_at)
    ) AS unread_count
FROM bench_messages m
JOIN bench_summaries s USING (n)
JOIN bench_conversations c USING (n)
GROUP BY m.n;

-- Contacts: one per customer identity (organisation, channel, platform user).
CREATE TEMP TABLE bench_contacts ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, organization_id, channel_id, platform, customer, user_n,
    first_name || ' ' || last_name AS display_name,
    fold(first_name) || '.' || fold(last_name) || user_n AS handle, created_at
FROM (
    SELECT c.organization_id, c.channel_id, c.platform, c.customer, c.user_n, min(s.first_at) AS created_at
    FROM bench_conversations c JOIN bench_summaries s USING (n)
    GROUP BY 1, 2, 3, 4, 5
) AS identities
CROSS JOIN LATERAL (
    SELECT names.first_names[1 + (user_n * 7) % cardinality(names.first_names)] AS first_name,
        names.last_names[1 + (user_n * 13) % cardinality(names.last_names)] AS last_name
    FROM (
        SELECT
            regexp_split_to_array(
                'Camille Léa Chloé Zoé Manon Inès Jade Louise Hélène Élodie Anaïs Maëlle Noémie Clémence Agathe '
                || 'Bérénice Lucas Hugo Louis Jules Gabriel Théo Raphaël Noé Mathéo Jérôme François Loïc Benoît '
                || 'Aurélien Cédric Grégoire Emma Olivia Sophie James Oliver Harry Amelia Mohamed Yasmine Sofía José '
                || 'Björn Jürgen', ' ') AS first_names,
            regexp_split_to_array(
                'Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre '
                || 'Michel Garcia Müller Rousseau Lemaître Bélanger Gagné Côté Bouchard Séguin Pérez Fernández Smith '
                || 'Jones Brown Taylor Wilson Nguyen Haddad Benoît Chevalier Fontaine Girard Mercier Boyer Blanchard '
                || 'Guérin Faure Rolland Noël Barbé Lévêque Krüger Østergaard', ' ') AS last_names
    ) AS names
) AS person;

INSERT INTO contacts (organization_id, id, display_name, created_at, updated_at, search)
SELECT organization_id, id, display_name, created_at, created_at,
    to_tsvector('simple', fold(display_name || ' ' || handle))
FROM bench_contacts;

INSERT INTO contact_identities (organization_id, contact_id, channel_id, platform, platform_user_id, handle,
    display_name, updated_at)
SELECT organization_id, id, channel_id, platform, customer, handle, display_name, created_at
FROM bench_contacts;

INSERT INTO conversations (organization_id, id, channel_id, platform, kind, thread_key, status, snoozed_until,
    contact_id, tags, is_paid, parent_post_id, parent_comment_id, preview, message_count, assignee_agent_id,
    assignee_team_id, assignee_version, last_message_at, last_customer_message_at, last_team_reply_at, created_at,
    updated_at, customer_platform_user_id, account_platform_id, comment_created_at, comment_platform_message_id,
    unread_count, last_read_at, waiting_since, first_response_at, last_message_id)
SELECT c.organization_id, c.id, c.channel_id, c.platform, c.kind, c.thread_key, c.status,
    -- A few pending conversations are snoozed (always into the future: nothing wakes during the run).
    CASE WHEN c.status = 'pending' AND c.n % 10 = 0 THEN now() + interval '1 day' * (1 + c.n % 14) END,
    k.id, c.tags, c.kind = 'dark_post_comment', c.parent_post_id,
    CASE WHEN c.kind IN ('comment', 'dark_post_comment') THEN 'm-' || c.n || '-1' END,
    CASE WHEN char_length(last.body) > 200 THEN left(last.body, 199) || '…' ELSE last.body END,
    s.message_count, c.assignee_agent_id, c.assignee_team_id,
    CASE WHEN c.assignee_team_id IS NULL THEN 0 ELSE 1 END,
    s.last_at, s.last_customer_at, s.last_team_at, s.first_at, s.last_at, c.customer, c.account_platform_id,
    CASE WHEN c.kind IN ('comment', 'dark_post_comment') THEN s.first_at END,
    CASE WHEN c.kind IN ('comment', 'dark_post_comment') THEN 'm-' || c.n || '-1' END,
    r.unread_count, CASE WHEN c.status = 'resolved' THEN s.last_at ELSE s.last_team_at END,
    CASE WHEN c.status <> 'resolved' THEN r.waiting_since END, s.first_team_at, last.id
FROM bench_conversations c
JOIN bench_summaries s USING (n)
JOIN bench_read_state r USING (n)
JOIN bench_messages last ON last.n = c.n AND last.j = c.message_total
JOIN bench_contacts k ON k.organization_id = c.organization_id AND k.channel_id = c.channel_id
    AND k.customer = c.customer;

INSERT INTO messages (organization_id, id, conversation_id, channel_id, direction, platform_message_id, author,
    agent_id, body, platform_time, received_at, delivery_state, send_kind, event_id, content_at)
SELECT m.organization_id, m.id, m.conversation_id, m.channel_id, m.direction,
    CASE WHEN m.direction <> 'note' THEN 'm-' || m.n || '-' || m.j END,
    CASE m.direction
        WHEN 'inbound' THEN jsonb_build_object('platformUserId', k.customer, 'handle', k.handle,
            'displayName', k.display_name)
        WHEN 'outbound' THEN jsonb_build_object('platformUserId', c.account_platform_id,
            'displayName', 'Bench Support')
        ELSE '{}'::jsonb END,
    CASE WHEN m.direction <> 'inbound' THEN coalesce(c.assignee_agent_id, 'agent-' || (1 + m.n % 50)) END,
    m.body, m.platform_time, m.platform_time + interval '2 seconds',
    CASE WHEN m.direction = 'outbound' THEN
        CASE WHEN m.r_state < 0.5 THEN 'read' WHEN m.r_state < 0.9 THEN 'delivered' ELSE 'sent' END END,
    CASE WHEN m.direction = 'outbound' THEN
        CASE WHEN c.kind = 'direct_message' THEN 'direct_message' ELSE 'public_reply' END END,
    CASE WHEN m.direction = 'inbound' THEN 'ev-' || m.n || '-' || m.j END,
    m.platform_time
FROM bench_messages m
JOIN bench_conversations c USING (n)
JOIN bench_contacts k ON k.organization_id = c.organization_id AND k.channel_id = c.channel_id
    AND k.customer = c.customer
ORDER BY m.organization_id, m.conversation_id, m.platform_time;

COMMIT;

-- As autovacuum would have left a table that grew over months: hint bits and the visibility map
-- set, the GIN pending list merged, statistics current (otherwise the first reads during the
-- measurements would write every page).
VACUUM (ANALYZE) contacts;
VACUUM (ANALYZE) contact_identities;
VACUUM (ANALYZE) conversations;
VACUUM (ANALYZE) messages;
