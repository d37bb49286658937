"""Default alert templates for the usual PCS (Plan Communal de Sauvegarde) scenarios.

The texts are in French, the language residents are warned in; placeholders in square brackets
([heure], [secteur]…) are for the author to fill in the crisis. A template declares them by
that pattern alone (``beffroi.alerts.texts.PLACEHOLDER``): the composer points them out in the
form and refuses to submit or approve an alert that still holds one. SMS texts avoid the letters
that force UCS-2 (ê, â, î, ô, û, ç): each stays in GSM-7 and within two parts, STOP mention
included, so an alert to 10,000 residents does not cost three times its price by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from beffroi.alerts.models import Alert, Channel, Topic
from beffroi.territory.models import Zone


@dataclass
class TemplateData:
    name: str
    topic: str
    headline: str
    pcs_scenario: str = ""
    category: str = Alert.Category.SAFETY
    urgency: str = Alert.Urgency.EXPECTED
    severity: str = Alert.Severity.MODERATE
    certainty: str = Alert.Certainty.LIKELY
    description: str = ""
    instruction: str = ""
    sms_text: str = ""
    email_subject: str = ""
    email_body: str = ""
    default_channels: list[str] = field(default_factory=list)
    default_zones: list[Zone] = field(default_factory=list)


C = Alert.Category
U = Alert.Urgency
S = Alert.Severity
K = Alert.Certainty
BOTH: list[str] = [Channel.EMAIL.value, Channel.SMS.value]

DEFAULT_TEMPLATES: tuple[TemplateData, ...] = (
    TemplateData(
        name="Crue / inondation",
        pcs_scenario="Risque inondation – montée des eaux",
        topic=Topic.FLOOD,
        category=C.MET,
        urgency=U.IMMEDIATE,
        severity=S.SEVERE,
        certainty=K.LIKELY,
        headline="Alerte crue : montée rapide des eaux",
        description=(
            "Le niveau de la rivière monte rapidement. Un débordement est attendu à partir de "
            "[heure] dans le secteur [secteur]."
        ),
        instruction=(
            "Montez dans les étages avec de l'eau, vos médicaments et vos papiers. "
            "Coupez le gaz et l'électricité. Ne prenez pas votre voiture, ne traversez pas "
            "une zone inondée, ne descendez pas dans les sous-sols. Écoutez la radio locale."
        ),
        sms_text=(
            "MAIRIE - ALERTE CRUE : debordement attendu vers [heure]. Montez a l'etage, "
            "coupez gaz et electricite, evitez tout deplacement et ne descendez pas dans "
            "les sous-sols."
        ),
        email_subject="Alerte crue : montée rapide des eaux",
        email_body=(
            "Madame, Monsieur,\n\nLe niveau de la rivière monte rapidement et un débordement "
            "est attendu à partir de [heure] dans le secteur [secteur].\n\nMettez-vous en "
            "sécurité dans les étages, coupez le gaz et l'électricité, ne prenez pas votre "
            "véhicule et ne vous engagez jamais dans une zone inondée.\n\nLa mairie"
        ),
        default_channels=BOTH,
    ),
    TemplateData(
        name="Canicule",
        pcs_scenario="Plan canicule – niveau 3 (alerte)",
        topic=Topic.HEAT,
        category=C.HEALTH,
        urgency=U.EXPECTED,
        severity=S.SEVERE,
        certainty=K.LIKELY,
        headline="Canicule : vigilance orange, protégez-vous de la chaleur",
        description=(
            "Météo-France a placé le département en vigilance orange canicule du [date] au "
            "[date]. Les températures atteindront [température] °C."
        ),
        instruction=(
            "Buvez de l'eau régulièrement, mouillez-vous le corps, fermez volets et fenêtres "
            "le jour, évitez les efforts aux heures chaudes. Prenez des nouvelles de vos "
            "proches âgés ou isolés. Numéro Canicule info service : 0 800 06 66 66."
        ),
        sms_text=(
            "MAIRIE - CANICULE du [date] au [date] : buvez de l'eau, restez au frais, "
            "evitez les efforts et prenez des nouvelles des personnes isolees. "
            "Info : 0800 06 66 66"
        ),
        email_subject="Canicule : protégez-vous et vos proches",
        email_body=(
            "Madame, Monsieur,\n\nUn épisode de canicule est prévu du [date] au [date]. "
            "Buvez régulièrement, restez au frais et prenez des nouvelles des personnes "
            "âgées ou isolées de votre entourage.\n\nLe CCAS appelle les personnes inscrites "
            "au registre communal.\n\nLa mairie"
        ),
        default_channels=BOTH,
    ),
    TemplateData(
        name="Sécheresse – restrictions d'eau",
        pcs_scenario="Sécheresse – arrêté préfectoral de restriction des usages de l'eau",
        topic=Topic.DROUGHT,
        category=C.ENV,
        urgency=U.FUTURE,
        severity=S.MODERATE,
        certainty=K.OBSERVED,
        headline="Sécheresse : restrictions d'usage de l'eau",
        description=(
            "Un arrêté préfectoral du [date] place la commune en alerte renforcée sécheresse."
        ),
        instruction=(
            "Sont interdits : l'arrosage des pelouses et jardins de [heure] à [heure], le "
            "lavage des véhicules hors station, le remplissage des piscines privées. "
            "Les contrevenants s'exposent à une amende."
        ),
        sms_text=(
            "MAIRIE - SECHERESSE : restrictions d'eau a partir du [date]. Interdits : "
            "arrosage de [heure] a [heure], lavage des voitures, remplissage des piscines."
        ),
        email_subject="Sécheresse : restrictions d'usage de l'eau",
        email_body=(
            "Madame, Monsieur,\n\nPar arrêté préfectoral du [date], des restrictions d'usage "
            "de l'eau s'appliquent sur la commune : arrosage interdit de [heure] à [heure], "
            "lavage des véhicules hors station et remplissage des piscines interdits.\n\n"
            "Merci de votre civisme.\n\nLa mairie"
        ),
        default_channels=BOTH,
    ),
    TemplateData(
        name="Pic de pollution",
        pcs_scenario="Épisode de pollution de l'air – procédure préfectorale",
        topic=Topic.POLLUTION,
        category=C.HEALTH,
        urgency=U.EXPECTED,
        severity=S.MODERATE,
        certainty=K.LIKELY,
        headline="Pic de pollution de l'air",
        description="Un épisode de pollution à [polluant] est en cours depuis le [date].",
        instruction=(
            "Évitez les activités physiques intenses en extérieur, en particulier les enfants, "
            "les personnes âgées, asthmatiques ou cardiaques. Limitez l'usage de la voiture "
            "et le brûlage de déchets verts (interdit)."
        ),
        sms_text=(
            "MAIRIE - PIC DE POLLUTION : evitez les efforts physiques en exterieur, "
            "surtout enfants, personnes agees et fragiles. Limitez la voiture."
        ),
        email_subject="Pic de pollution de l'air",
        email_body=(
            "Madame, Monsieur,\n\nUn épisode de pollution de l'air est en cours. Les personnes "
            "sensibles doivent éviter les efforts en extérieur. Privilégiez les transports en "
            "commun et le covoiturage.\n\nLa mairie"
        ),
        default_channels=BOTH,
    ),
    TemplateData(
        name="Coupure d'eau",
        pcs_scenario="Interruption de la distribution d'eau potable",
        topic=Topic.WATER_CUT,
        category=C.INFRA,
        urgency=U.EXPECTED,
        severity=S.MINOR,
        certainty=K.OBSERVED,
        headline="Coupure d'eau potable",
        description=(
            "La distribution d'eau est interrompue dans le secteur [secteur] à partir de "
            "[heure], pour une durée estimée à [durée]."
        ),
        instruction=(
            "Faites une réserve d'eau si vous le pouvez. Une distribution d'eau en bouteille "
            "est organisée [lieu] à partir de [heure]. Après le rétablissement, laissez "
            "couler l'eau quelques minutes avant de la boire."
        ),
        sms_text=(
            "MAIRIE - COUPURE D'EAU secteur [secteur] a partir de [heure], duree estimee "
            "[duree]. Distribution d'eau en bouteille : [lieu]."
        ),
        email_subject="Coupure d'eau potable",
        email_body=(
            "Madame, Monsieur,\n\nL'eau sera coupée dans le secteur [secteur] à partir de "
            "[heure], pour une durée estimée à [durée]. De l'eau en bouteille est distribuée "
            "[lieu].\n\nLa mairie"
        ),
        default_channels=BOTH,
    ),
    TemplateData(
        name="Coupure d'électricité",
        pcs_scenario="Coupure d'électricité prolongée",
        topic=Topic.POWER_CUT,
        category=C.INFRA,
        urgency=U.EXPECTED,
        severity=S.MODERATE,
        certainty=K.OBSERVED,
        headline="Coupure d'électricité prolongée",
        description=(
            "Le réseau électrique est coupé dans le secteur [secteur] depuis [heure]. "
            "Le retour est estimé à [heure]."
        ),
        instruction=(
            "N'utilisez pas de groupe électrogène ni de chauffage d'appoint à combustion dans "
            "un local fermé (risque d'intoxication au monoxyde de carbone). Les personnes "
            "équipées d'un appareil médical électrique contactent la mairie au [téléphone]."
        ),
        sms_text=(
            "MAIRIE - COUPURE ELECTRICITE secteur [secteur], retour estime [heure]. "
            "Pas de groupe electrogene ni de chauffage a combustion en local ferme. "
            "Urgence medicale : [telephone]"
        ),
        email_subject="Coupure d'électricité prolongée",
        email_body=(
            "Madame, Monsieur,\n\nL'électricité est coupée dans le secteur [secteur]. "
            "Le retour est estimé à [heure].\n\nAttention au monoxyde de carbone : "
            "n'utilisez jamais de groupe électrogène à l'intérieur.\n\nLa mairie"
        ),
        default_channels=BOTH,
    ),
    TemplateData(
        name="Tempête",
        pcs_scenario="Vents violents – vigilance orange ou rouge",
        topic=Topic.STORM,
        category=C.MET,
        urgency=U.EXPECTED,
        severity=S.SEVERE,
        certainty=K.LIKELY,
        headline="Tempête : vents violents attendus",
        description=(
            "Des rafales de [vitesse] km/h sont attendues à partir de [heure] "
            "(vigilance [couleur] Météo-France)."
        ),
        instruction=(
            "Rentrez ou attachez les objets susceptibles d'être emportés. Limitez vos "
            "déplacements, ne vous abritez pas sous les arbres, ne touchez pas aux fils "
            "électriques tombés au sol."
        ),
        sms_text=(
            "MAIRIE - TEMPETE : rafales de [vitesse] km/h a partir de [heure]. Rentrez les "
            "objets exterieurs, limitez vos deplacements, ne touchez pas aux fils tombes."
        ),
        email_subject="Tempête : vents violents attendus",
        email_body=(
            "Madame, Monsieur,\n\nDes vents violents sont attendus à partir de [heure]. "
            "Rangez les objets extérieurs, limitez vos déplacements et restez à l'écart des "
            "arbres et des lignes électriques.\n\nLa mairie"
        ),
        default_channels=BOTH,
    ),
    TemplateData(
        name="Neige et verglas",
        pcs_scenario="Épisode neigeux – viabilité hivernale",
        topic=Topic.COLD,
        category=C.MET,
        urgency=U.EXPECTED,
        severity=S.MODERATE,
        certainty=K.LIKELY,
        headline="Neige et verglas : circulation difficile",
        description=(
            "D'importantes chutes de neige sont attendues à partir de [heure]. "
            "Le déneigement des axes prioritaires est en cours."
        ),
        instruction=(
            "Différez vos déplacements. Dégagez la neige devant votre domicile. "
            "Ne stationnez pas sur les axes de déneigement. Prenez des nouvelles de vos "
            "voisins âgés."
        ),
        sms_text=(
            "MAIRIE - NEIGE ET VERGLAS a partir de [heure] : differez vos deplacements, "
            "ne stationnez pas sur les axes de deneigement, degagez votre trottoir."
        ),
        email_subject="Neige et verglas : circulation difficile",
        email_body=(
            "Madame, Monsieur,\n\nDes chutes de neige importantes sont attendues. Différez "
            "vos déplacements et laissez libres les axes de déneigement.\n\nLa mairie"
        ),
        default_channels=BOTH,
    ),
    TemplateData(
        name="Accident industriel",
        pcs_scenario="Risque technologique – accident sur site industriel ou TMD",
        topic=Topic.INDUSTRIAL,
        category=C.CBRNE,
        urgency=U.IMMEDIATE,
        severity=S.EXTREME,
        certainty=K.OBSERVED,
        headline="Accident industriel : restez à l'abri",
        description="Un accident est survenu sur le site [site] à [heure].",
        instruction=(
            "Rentrez immédiatement dans le bâtiment le plus proche. Fermez portes et fenêtres, "
            "arrêtez ventilation et climatisation. N'allez pas chercher vos enfants à "
            "l'école : les enseignants s'en occupent. Écoutez France Bleu ou la radio locale. "
            "Ne téléphonez qu'en cas d'urgence vitale."
        ),
        sms_text=(
            "MAIRIE - ACCIDENT INDUSTRIEL : rentrez dans un batiment, fermez portes et "
            "fenetres, coupez la ventilation. N'allez pas chercher les enfants a l'ecole. "
            "Ecoutez la radio."
        ),
        email_subject="Accident industriel : restez à l'abri",
        email_body=(
            "Madame, Monsieur,\n\nUn accident industriel est survenu sur le site [site]. "
            "Mettez-vous à l'abri dans un bâtiment, fermez portes et fenêtres, arrêtez la "
            "ventilation et écoutez la radio. N'allez pas chercher vos enfants à l'école.\n\n"
            "La mairie"
        ),
        default_channels=BOTH,
    ),
    TemplateData(
        name="Confinement",
        pcs_scenario="Mise à l'abri – confinement de la population",
        topic=Topic.INDUSTRIAL,
        category=C.SAFETY,
        urgency=U.IMMEDIATE,
        severity=S.SEVERE,
        certainty=K.OBSERVED,
        headline="Confinement : restez chez vous",
        description=(
            "Sur décision du maire et du préfet, la population du secteur [secteur] doit se "
            "mettre à l'abri jusqu'à nouvel ordre."
        ),
        instruction=(
            "Restez à l'intérieur, fermez portes, fenêtres et volets, bouchez les aérations. "
            "Ne sortez pas avant le message de fin d'alerte. Écoutez la radio locale."
        ),
        sms_text=(
            "MAIRIE - CONFINEMENT secteur [secteur] : restez a l'interieur, fermez portes, "
            "fenetres et aerations. Ne sortez pas avant la fin d'alerte. Ecoutez la radio."
        ),
        email_subject="Confinement : restez chez vous",
        email_body=(
            "Madame, Monsieur,\n\nLa population du secteur [secteur] doit rester à l'abri "
            "jusqu'à nouvel ordre. Fermez portes, fenêtres et aérations et attendez le "
            "message de fin d'alerte.\n\nLa mairie"
        ),
        default_channels=BOTH,
    ),
)
