// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Memory} from "@openzeppelin/contracts/utils/Memory.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";

/// @title Tributary Settlement
/// @notice Settles attribution receipts signed by their payer (EIP-712) in one ERC-20 token, and pays the
///         recipients either at once (DIRECT) or through epoch Merkle roots of cumulative earnings that
///         they claim (POOLED).
/// @dev Rules enforced on chain for every receipt of a batch:
///      - the signature is the payer's (EOA via ECDSA, contract wallets via ERC-1271), over the EIP-712
///        domain {name "Tributary Settlement", version "1", chainId, verifyingContract = this};
///      - not expired (`block.timestamp <= deadline`), never settled before (by `receiptId`), `fee > 0`;
///      - every split names a non-zero recipient (not this contract) and a role 0..4; a TREASURY split
///        names the current `treasury`; splits sum exactly to `fee`;
///      - all receipts of a batch share one payer; their fees are pulled once (one `transferFrom`).
///      Zero and dust: a split of 0 is allowed (its event is emitted, nothing moves); the contract never
///      divides, so every amount is paid exactly as signed. Rounding happens off chain (core/rewardPolicy).
///      Fee-on-transfer and rebasing tokens are not supported.
///
///      Epoch roots: `epoch` is, by convention, the number of the last block whose `SplitPooled` events the
///      root covers (so `epoch < block.number`), leaves are OpenZeppelin StandardMerkleTree
///      `[address account, uint256 cumulativeAmount]` with the cumulative pooled credit of `account`
///      from deployment through that block (zero-credit accounts omitted). Anyone can recompute a root
///      from the events. Claims can never take more than the contract holds, which is exactly what was
///      pooled minus what was claimed (DIRECT batches keep nothing): a wrong root cannot reach other money.
contract Settlement is AccessControl, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using TransientSlot for *;

    /// @notice One recipient's part of a receipt's fee.
    struct Split {
        address recipient;
        /// 0 contributor, 1 datanet owner, 2 adapter owner, 3 model owner, 4 treasury.
        uint8 role;
        uint256 amount;
    }

    /// @notice An attribution receipt as the payer signs it.
    struct Receipt {
        bytes32 receiptId;
        address payer;
        uint256 fee;
        uint64 deadline;
        Split[] splits;
    }

    /// @notice May post epoch roots.
    bytes32 public constant ROOT_POSTER_ROLE = keccak256("ROOT_POSTER_ROLE");
    /// @notice EIP-712 type hash of `Split`.
    bytes32 public constant SPLIT_TYPEHASH = keccak256("Split(address recipient,uint8 role,uint256 amount)");
    /// @notice EIP-712 type hash of `Receipt`.
    bytes32 public constant RECEIPT_TYPEHASH = keccak256(
        "Receipt(bytes32 receiptId,address payer,uint256 fee,uint64 deadline,Split[] splits)Split(address recipient,uint8 role,uint256 amount)"
    );

    /// @notice Payout mode: transfer each recipient's amount now (aggregated per recipient in a batch).
    uint8 public constant PAYOUT_DIRECT = 0;
    /// @notice Payout mode: keep the amounts in the claim pool; recipients claim via epoch roots.
    uint8 public constant PAYOUT_POOLED = 1;
    /// @notice Role of the treasury's split; its recipient must be `treasury`.
    uint8 public constant ROLE_TREASURY = 4;

    // Transient list of the distinct recipients of a DIRECT batch: length at the base slot, item i at
    // base + 1 + i. A recipient's running amount lives at transient slot uint160(recipient); both are
    // cleared before the batch returns. (keccak-derived slots never fall below 2**160.)
    bytes32 private constant _DIRECT_LIST = keccak256("tributary.settlement.direct-recipients");

    /// @notice The token every fee is paid in.
    IERC20 public immutable token;
    /// @notice Receiver of every TREASURY split.
    address public treasury;

    /// @notice Whether a receipt id has been settled.
    mapping(bytes32 receiptId => bool) public settled;
    /// @notice Cumulative amount each account has claimed from the pool.
    mapping(address account => uint256) public claimed;

    /// @notice Everything ever credited to the claim pool (POOLED splits).
    uint256 public totalPooled;
    /// @notice The latest epoch root (zero before the first post).
    bytes32 public currentRoot;
    /// @notice The latest epoch (last block covered by the latest root).
    uint64 public currentEpoch;
    /// @notice Sum of all leaves of the latest root, as posted.
    uint192 public currentRootTotal;

    /// @notice A receipt was settled.
    event ReceiptSettled(bytes32 indexed receiptId, address indexed payer, uint256 fee);
    /// @notice A split was paid by transfer (DIRECT). Transfers are aggregated per recipient per batch.
    event SplitPaid(bytes32 indexed receiptId, address indexed recipient, uint8 role, uint256 amount);
    /// @notice A split was credited to the claim pool (POOLED). Epoch roots are built from these events.
    event SplitPooled(bytes32 indexed receiptId, address indexed recipient, uint8 role, uint256 amount);
    /// @notice A new epoch root was posted.
    event EpochRootPosted(uint64 indexed epoch, bytes32 root, uint256 cumulativeTotal);
    /// @notice The treasury address changed.
    event TreasuryChanged(address indexed previousTreasury, address indexed newTreasury);

    /// @notice A batch needs at least one receipt.
    error EmptyBatch();
    /// @notice Each receipt needs exactly one signature.
    error LengthMismatch(uint256 receipts, uint256 signatures);
    /// @notice Payout mode is neither 0 (DIRECT) nor 1 (POOLED).
    error InvalidPayoutMode(uint8 payoutMode);
    /// @notice All receipts of a batch must have the same payer.
    error MixedPayers(bytes32 receiptId, address expectedPayer, address payer);
    /// @notice The signature is not the payer's signature of this exact receipt on this chain and contract.
    error InvalidSignature(bytes32 receiptId, address payer);
    /// @notice The receipt's deadline has passed.
    error ReceiptExpired(bytes32 receiptId, uint64 deadline);
    /// @notice The receipt was settled before (in this batch or an earlier one).
    error AlreadySettled(bytes32 receiptId);
    /// @notice A receipt's fee must be positive.
    error ZeroFee(bytes32 receiptId);
    /// @notice The splits do not add up to the fee.
    error SplitSumMismatch(bytes32 receiptId, uint256 fee, uint256 splitsTotal);
    /// @notice A split's recipient is the zero address or this contract.
    error InvalidRecipient(bytes32 receiptId, uint256 splitIndex);
    /// @notice A split's role is above 4.
    error InvalidRole(bytes32 receiptId, uint256 splitIndex, uint8 role);
    /// @notice A TREASURY split does not name the treasury.
    error TreasuryMismatch(bytes32 receiptId, uint256 splitIndex, address recipient);
    /// @notice A zero address was given.
    error ZeroAddress();
    /// @notice A root must not be zero.
    error ZeroRoot();
    /// @notice Epochs must strictly increase.
    error EpochNotIncreasing(uint64 epoch, uint64 currentEpoch);
    /// @notice An epoch names a block that is not yet final (`epoch >= block.number`).
    error EpochInFuture(uint64 epoch, uint256 blockNumber);
    /// @notice The root's total exceeds what was ever pooled.
    error RootTotalExceedsPool(uint256 cumulativeTotal, uint256 totalPooled);
    /// @notice No epoch root has been posted yet.
    error NoRootPosted();
    /// @notice The proof does not show `[account, cumulativeAmount]` under the current root.
    error InvalidProof(address account, uint256 cumulativeAmount);
    /// @notice The account already claimed at least `cumulativeAmount`.
    error NothingToClaim(address account, uint256 cumulativeAmount, uint256 alreadyClaimed);

    /// @param token_ The ERC-20 every fee is paid in.
    /// @param treasury_ Receiver of TREASURY splits.
    /// @param admin Gets DEFAULT_ADMIN_ROLE (grants roles, changes the treasury) and ROOT_POSTER_ROLE.
    constructor(IERC20 token_, address treasury_, address admin) EIP712("Tributary Settlement", "1") {
        if (address(token_) == address(0) || treasury_ == address(0) || admin == address(0)) revert ZeroAddress();
        token = token_;
        treasury = treasury_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ROOT_POSTER_ROLE, admin);
        emit TreasuryChanged(address(0), treasury_);
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Settles a batch of receipts of one payer, pulling their fees once (needs an allowance).
    /// @param receipts The receipts, all with the same payer.
    /// @param signatures The payer's EIP-712 signature of each receipt, in the same order.
    /// @param payoutMode 0 DIRECT, 1 POOLED.
    function settleBatch(Receipt[] calldata receipts, bytes[] calldata signatures, uint8 payoutMode)
        external
        nonReentrant
    {
        _settle(receipts, signatures, payoutMode);
    }

    /// @notice As {settleBatch}, after an EIP-2612 permit from the payer to this contract for exactly the
    ///         batch total (sum of the fees). A failing permit (e.g. already used by a front-runner) is
    ///         ignored: the allowance then decides.
    function settleBatchWithPermit(
        Receipt[] calldata receipts,
        bytes[] calldata signatures,
        uint8 payoutMode,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        _permitBatchTotal(receipts, permitDeadline, v, r, s);
        _settle(receipts, signatures, payoutMode);
    }

    function _permitBatchTotal(Receipt[] calldata receipts, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
        private
    {
        uint256 n = receipts.length;
        if (n == 0) revert EmptyBatch();
        uint256 total;
        for (uint256 i; i < n; ++i) total += receipts[i].fee;
        try IERC20Permit(address(token)).permit(receipts[0].payer, address(this), total, permitDeadline, v, r, s) {}
            catch {}
    }

    function _settle(Receipt[] calldata receipts, bytes[] calldata signatures, uint8 payoutMode) private {
        uint256 n = receipts.length;
        if (n == 0) revert EmptyBatch();
        if (n != signatures.length) revert LengthMismatch(n, signatures.length);
        if (payoutMode > PAYOUT_POOLED) revert InvalidPayoutMode(payoutMode);
        bool direct = payoutMode == PAYOUT_DIRECT;
        address payer = receipts[0].payer;
        address treasury_ = treasury;

        uint256 total;
        for (uint256 i; i < n; ++i) {
            total += _checkAndRecord(receipts[i], signatures[i], payer, treasury_, direct);
        }

        if (!direct) totalPooled += total;

        token.safeTransferFrom(payer, address(this), total);

        if (direct) _payDirect();
    }

    /// @dev Checks one receipt, marks it settled, emits its events and (DIRECT) adds its splits to the
    ///      transient per-recipient totals. Returns its fee.
    function _checkAndRecord(Receipt calldata rc, bytes calldata signature, address payer, address treasury_, bool direct)
        private
        returns (uint256)
    {
        bytes32 id = rc.receiptId;
        if (rc.payer != payer) revert MixedPayers(id, payer, rc.payer);
        if (block.timestamp > rc.deadline) revert ReceiptExpired(id, rc.deadline);
        if (settled[id]) revert AlreadySettled(id);
        uint256 fee = rc.fee;
        if (fee == 0) revert ZeroFee(id);

        Memory.Pointer mark = Memory.getFreeMemoryPointer();
        bytes32 digest = _hashTypedDataV4(_receiptStructHash(rc));
        if (!SignatureChecker.isValidSignatureNowCalldata(payer, digest, signature)) revert InvalidSignature(id, payer);
        // Memory used for hashing is scratch: give it back so a large batch does not pay for it again.
        Memory.unsafeSetFreeMemoryPointer(mark);

        settled[id] = true;
        emit ReceiptSettled(id, payer, fee);

        Split[] calldata splits = rc.splits;
        uint256 m = splits.length;
        uint256 sum;
        for (uint256 j; j < m; ++j) {
            Split calldata sp = splits[j];
            address to = sp.recipient;
            uint8 role = sp.role;
            uint256 amount = sp.amount;
            if (to == address(0) || to == address(this)) revert InvalidRecipient(id, j);
            if (role > ROLE_TREASURY) revert InvalidRole(id, j, role);
            if (role == ROLE_TREASURY && to != treasury_) revert TreasuryMismatch(id, j, to);
            sum += amount;
            if (direct) {
                emit SplitPaid(id, to, role, amount);
                if (amount != 0) _addDirect(to, amount);
            } else {
                emit SplitPooled(id, to, role, amount);
            }
        }
        if (sum != fee) revert SplitSumMismatch(id, fee, sum);
        return fee;
    }

    function _addDirect(address to, uint256 amount) private {
        TransientSlot.Uint256Slot slot = bytes32(uint256(uint160(to))).asUint256();
        uint256 prev = slot.tload();
        if (prev == 0) {
            TransientSlot.Uint256Slot lengthSlot = _DIRECT_LIST.asUint256();
            uint256 len = lengthSlot.tload();
            bytes32(uint256(_DIRECT_LIST) + 1 + len).asAddress().tstore(to);
            lengthSlot.tstore(len + 1);
        }
        slot.tstore(prev + amount);
    }

    function _payDirect() private {
        TransientSlot.Uint256Slot lengthSlot = _DIRECT_LIST.asUint256();
        uint256 len = lengthSlot.tload();
        for (uint256 i; i < len; ++i) {
            address to = bytes32(uint256(_DIRECT_LIST) + 1 + i).asAddress().tload();
            TransientSlot.Uint256Slot slot = bytes32(uint256(uint160(to))).asUint256();
            uint256 amount = slot.tload();
            slot.tstore(0);
            token.safeTransfer(to, amount);
        }
        lengthSlot.tstore(0);
    }

    function _receiptStructHash(Receipt calldata rc) private pure returns (bytes32) {
        Split[] calldata splits = rc.splits;
        uint256 m = splits.length;
        bytes32[] memory hashes = new bytes32[](m);
        for (uint256 j; j < m; ++j) {
            Split calldata sp = splits[j];
            hashes[j] = keccak256(abi.encode(SPLIT_TYPEHASH, sp.recipient, sp.role, sp.amount));
        }
        return keccak256(
            abi.encode(RECEIPT_TYPEHASH, rc.receiptId, rc.payer, rc.fee, rc.deadline, keccak256(abi.encodePacked(hashes)))
        );
    }

    /// @notice The EIP-712 digest the payer signs for `receipt` (same as viem's `hashTypedData`).
    function hashReceipt(Receipt calldata receipt) external view returns (bytes32) {
        return _hashTypedDataV4(_receiptStructHash(receipt));
    }

    // ---------------------------------------------------------------- epoch claims

    /// @notice Posts the Merkle root of cumulative pooled credits through block `epoch`. ROOT_POSTER_ROLE.
    /// @param epoch Last block covered; must exceed the current epoch and be below `block.number`.
    /// @param root StandardMerkleTree root over `[address account, uint256 cumulativeAmount]`.
    /// @param cumulativeTotal Sum of the leaves; at most `totalPooled`.
    function postEpochRoot(uint64 epoch, bytes32 root, uint256 cumulativeTotal) external onlyRole(ROOT_POSTER_ROLE) {
        if (root == bytes32(0)) revert ZeroRoot();
        if (epoch <= currentEpoch) revert EpochNotIncreasing(epoch, currentEpoch);
        if (epoch >= block.number) revert EpochInFuture(epoch, block.number);
        if (cumulativeTotal > totalPooled) revert RootTotalExceedsPool(cumulativeTotal, totalPooled);
        currentRoot = root;
        currentEpoch = epoch;
        currentRootTotal = uint192(cumulativeTotal);
        emit EpochRootPosted(epoch, root, cumulativeTotal);
    }

    /// @notice Pays `account` what the current root credits it beyond what it already claimed. Anyone may
    ///         call it for any account; the tokens always go to `account`.
    /// @param account The leaf's account (receives the tokens).
    /// @param cumulativeAmount The leaf's cumulative credit.
    /// @param proof StandardMerkleTree proof of `[account, cumulativeAmount]` under `currentRoot`.
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof) external nonReentrant {
        bytes32 root = currentRoot;
        if (root == bytes32(0)) revert NoRootPosted();
        bytes32 leaf;
        assembly ("memory-safe") {
            // StandardMerkleTree leaf: keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))
            mstore(0x00, account)
            mstore(0x20, cumulativeAmount)
            mstore(0x00, keccak256(0x00, 0x40))
            leaf := keccak256(0x00, 0x20)
        }
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidProof(account, cumulativeAmount);
        uint256 already = claimed[account];
        if (cumulativeAmount <= already) revert NothingToClaim(account, cumulativeAmount, already);
        claimed[account] = cumulativeAmount;
        // No event of its own: the token's Transfer(this -> account, amount) and `claimed(account)` say it
        // all, and a first claim stays under 90k gas.
        token.safeTransfer(account, cumulativeAmount - already);
    }

    // ---------------------------------------------------------------- admin

    /// @notice Changes the treasury. DEFAULT_ADMIN_ROLE. Unsettled receipts naming the old treasury then
    ///         fail with `TreasuryMismatch` and must be signed again.
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newTreasury == address(0)) revert ZeroAddress();
        emit TreasuryChanged(treasury, newTreasury);
        treasury = newTreasury;
    }
}
