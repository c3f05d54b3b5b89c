"""Everyday words parents use for each topic, in Dutch and English: the matcher's domain lexicon.

The entry files say what the advice line answers; these lists say how parents tend to name it,
beyond the phrasings an editor happened to write. They are words, never sentences, and they count
as part of the topic's description (weak evidence), so an entry's own phrasings still decide
between entries of one topic.
"""

from __future__ import annotations

from collections.abc import Mapping

TOPIC_WORDS: Mapping[str, str] = {
    "huilen-baby": "huilen huilt krijsen ontroostbaar huilbaby buikkrampjes darmkrampjes "
    "troosten sussen wiegen draagdoek inbakeren overprikkeld reflux colic crying inconsolable "
    "soothe fussy screaming",
    "slapen-baby": "slapen dutje dutjes middagslaapje doorslapen wakker nachtvoeding "
    "slaapritme slaapregressie ledikant wieg bedje slaapzak wiegendood inslapen sleep nap naps "
    "night waking sleep regression crib cot",
    "voeding-baby": "borstvoeding flesvoeding fles borst kolven afkolven voeden voeding melk "
    "kunstvoeding hapjes oefenhapjes bijvoeding fruithapjes groentehapjes pap vitamine spenen "
    "breastfeeding bottle formula feeding solids weaning spoon milk",
    "slapen-kind": "bedtijd bed naar_bed uit_bed slapen inslapen doorslapen wakker nacht "
    "ouderbed grote_bed eigen_bed slaapkamer ritueel verhaaltje nachtlampje bedtime bedroom "
    "sleep asleep night waking routine",
    "driftbuien": "driftbui driftbuien woedebui woedeaanval boos boosheid gillen schreeuwen "
    "krijsen stampvoeten ontploffen koppig zin tantrum tantrums meltdown angry",
    "zindelijkheid": "zindelijk zindelijkheid potje wc toilet luier luiers plassen poepen "
    "ongelukjes broek_nat onderbroek trainingsbroekje potty nappy diaper toilet training pee poo",
    "bedplassen": "bedplassen bedplasser nat_bed droog plaswekker wekker nachts_plassen "
    "luierbroekje logeren schoolkamp bedwetting wet dry",
    "eten": "eten eet lust kieskeurig groente groenten bord tafel avondeten maaltijd "
    "tussendoortje treuzelen proeven hapje weigert picky eater vegetables dinner meals table",
    "luisteren": "luisteren luistert gehoorzamen ongehoorzaam negeren opdracht opdrachten "
    "tegendraads koppig nee opruimen aankleden tandenpoetsen herhalen listen ignore "
    "defiant disobedient",
    "agressie": "slaan slaat schoppen schopt bijten bijt knijpen krabben duwen vechten "
    "agressief haren_trekken pijn_doen geweld hitting biting kicking pushing aggressive violent",
    "broers-zussen": "broer zus broertje zusje broers zussen ruzie jaloers delen eerlijk "
    "tweeling oudste jongste middelste voortrekken siblings brother sister fighting sharing",
    "nieuwe-baby": "zwanger zwangerschap bevalling geboorte nieuwe_baby broertje zusje "
    "kraamtijd jaloers terugval pregnant new_baby newborn sibling arrival jealous regression",
    "afscheid-opvang": "afscheid wegbrengen brengen opvang kinderdagverblijf creche gastouder "
    "peuterspeelzaal schoolhek klampt vastklampen wennen daycare nursery "
    "drop-off separation clingy",
    "speen-duimen": "speen speentje fopspeen tut duim duimen duimzuigen afleren afwennen "
    "speenfee speenboom tanden dummy pacifier thumb sucking",
    "praten-taal": "praten spreken woordjes woorden zinnetjes taal taalachterstand stotteren "
    "hakkelen uitspraak logopedie logopedist tweetalig meertalig talking speech words "
    "stuttering bilingual language",
    "angst": "bang angst angstig eng monsters donker nachtmerrie nachtmerries onweer honden "
    "spinnen piekeren piekert zorgen fobie afraid scared fear fears anxious nightmares worries",
    "liegen": "liegen liegt jokken leugen leugens stiekem stelen steelt pikken smoesjes "
    "verzinnen ontkennen vertrouwen lying lies stealing trust",
    "schermtijd": "schermtijd scherm tablet ipad telefoon mobiel gamen gamet game games "
    "youtube tv televisie console playstation switch fortnite minecraft screen screens gaming",
    "online-veiligheid": "internet online sociale_media socialmedia tiktok instagram snapchat "
    "whatsapp apps eerste_telefoon smartphone sexting naaktfoto privacy_instellingen "
    "ouderlijk_toezicht vreemden social_media safety first_phone strangers",
    "pesten": "gepest pesten buitengesloten uitgescholden uitgelachen getreiterd genegeerd "
    "cyberpesten pestcoordinator bullied bullying excluded teased",
    "pesten-dader": "pest pester pesten dader gemeen uitschelden buitensluiten groepsapp "
    "meedoen bully bullies mean other_kids",
    "vriendschappen": "vriendjes vriendinnetjes vrienden vriendschap verlegen spelen "
    "speelafspraak buitengesloten alleen_spelen verjaardag feestje uitgenodigd friends "
    "friendship shy playdate lonely",
    "huiswerk-school": "huiswerk school leren toetsen cijfers rapport juf meester leerkracht "
    "mentor motivatie concentratie schoolwerk oudergesprek homework school grades teacher "
    "motivation",
    "druk-concentratie": "druk beweeglijk onrustig stilzitten wiebelen concentratie "
    "concentreren afgeleid impulsief adhd add hyperactief restless hyper focus attention",
    "belonen-straffen": "belonen beloning straffen straf consequentie consequenties timeout "
    "stickerkaart stickers complimenten prijzen afpakken tik reward punishment consequences "
    "praise sticker_chart",
    "zakgeld": "zakgeld kleedgeld geld sparen kopen uitgeven bankrekening pinpas bijbaantje "
    "pocket_money allowance money saving spending",
    "seksuele-ontwikkeling": "seks seksualiteit voorlichting lichaam piemel vagina "
    "plassertje doktertje ongesteld menstruatie verliefd homo lesbisch transgender puberteit "
    "sex puberty body periods crush",
    "puberteit": "puber pubers tiener puberteit brutaal grote_mond respect regels afspraken "
    "uitgaan thuiskomtijd deuren humeurig chagrijnig onderhandelen grenzen teenager teen "
    "curfew rude disrespectful",
    "alcohol-drugs": "alcohol drinken dronken bier drank roken sigaretten vapen vape blowen "
    "wiet drugs xtc feest feestje alcohol drinking drunk smoking vaping weed cannabis",
    "somber-teruggetrokken": "somber verdrietig neerslachtig depressief teruggetrokken "
    "ongelukkig lusteloos kamer_zitten niks_leuk geen_zin psycholoog sad depressed withdrawn "
    "unhappy low_mood",
    "schoolverzuim": "spijbelen spijbelt verzuim schoolverzuim leerplicht leerplichtambtenaar "
    "thuiszitter buikpijn hoofdpijn ziekmelden niet_naar_school truancy skipping school_refusal "
    "attendance",
    "scheiding": "scheiding scheiden gescheiden uit_elkaar ex omgangsregeling co-ouderschap "
    "ouderschapsplan twee_huizen weekend_papa overdracht loyaliteit divorce separated ex "
    "custody",
    "samengesteld-gezin": "nieuwe_partner stiefmoeder stiefkind stiefkinderen "
    "samenwonen bonusouder bonuskind samengesteld_gezin stepfather stepmother stepchildren "
    "blended_family new_partner",
    "rouw-verlies": "dood overleden overlijden sterven gestorven begrafenis rouw afscheid "
    "huisdier opa oma ziek ingeslapen death died funeral grief pet",
    "ouder-overbelast": "moe uitgeput overbelast overspannen burnout vastgelopen schreeuwen "
    "boos tekortschieten schuldgevoel alleenstaand kan_niet_meer exhausted overwhelmed burnout "
    "stress guilty",
    "samen-opvoeden": "partner samen oneens opvoeden regels grootouders opa oma verwennen "
    "schoonouders afspraken consequent disagree partner grandparents spoil rules",
    "gezond-bewegen": "gezond gewicht overgewicht te_dik te_mager snoep frisdrank chips "
    "bewegen sporten buitenspelen groeicurve healthy weight overweight sweets exercise sport",
    "zelfstandigheid": "zelfstandig alleen_thuis alleen_naar_school fietsen oversteken "
    "verkeer logeren sleutel oppassen zelf_doen independent alone home_alone cycling walk",
    "cursus-opvoeden": "cursus opvoedcursus training workshop themabijeenkomst oudercursus "
    "triple_p oudergroep aanmelden course parenting_course class workshop",
    "over-advieslijn": "advieslijn adviseur bellen chatten mailen openingstijden bereikbaar "
    "gratis anoniem langskomen helpline adviser opening_hours free anonymous call",
    "privacy": "privacy gegevens opgeslagen bewaren verwijderen wissen dossier naam "
    "anoniem wie_leest data stored delete",
    "hulp-zoeken": "hulp consultatiebureau huisarts jeugdarts jeugdverpleegkundige wijkteam "
    "jeugdteam jeugdhulp psycholoog verwijzing doorverwijzing zorgteam help referral doctor "
    "psychologist",
}
