// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev The part of Settlement the probe calls.
interface IClaimFor {
    function claimFor(
        address account,
        address recipient,
        uint256 cumulativeAmount,
        bytes32[] calldata proof,
        uint64 deadline,
        bytes calldata signature
    ) external;
    function claimed(address account) external view returns (uint256);
    function eip712Domain()
        external
        view
        returns (bytes1, string memory, string memory, uint256, address, bytes32, uint256[] memory);
}

/// @title ClaimForProbe (tests only)
/// @notice Checks from Solidity what `Settlement.claimFor` promises, without trusting its own code:
///         - `digestOf` rebuilds the `ClaimAuthorization` digest from the type string and the contract's
///           ERC-5267 domain, independently of Settlement's `claimAuthorizationDigest`;
///         - `claimTwice` submits one authorisation twice in ONE transaction (a contract as the submitter:
///           anyone may submit) and returns what the second attempt reverted with;
///         - `claimMalleated` submits the high-s twin of a valid signature (same signer by plain ecrecover)
///           and returns what it reverted with.
///         Never deploy outside tests.
contract ClaimForProbe {
    bytes32 private constant _TYPE_HASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant _CLAIM_TYPEHASH = keccak256(
        "ClaimAuthorization(address account,address recipient,uint256 cumulativeAmount,uint256 claimedBefore,uint64 deadline)"
    );
    /// secp256k1 group order.
    uint256 private constant _N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    /// @notice The test expected a revert and the call succeeded.
    error UnexpectedSuccess();

    struct Claim {
        address account;
        address recipient;
        uint256 cumulativeAmount;
        bytes32[] proof;
        uint64 deadline;
        bytes signature;
    }

    /// @notice The EIP-712 digest of an authorisation, from `settlement`'s published domain.
    function digestOf(
        address settlement,
        address account,
        address recipient,
        uint256 cumulativeAmount,
        uint256 claimedBefore,
        uint64 deadline
    ) public view returns (bytes32) {
        (, string memory name, string memory version, uint256 chainId, address verifying,,) = IClaimFor(settlement).eip712Domain();
        bytes32 domainSeparator =
            keccak256(abi.encode(_TYPE_HASH, keccak256(bytes(name)), keccak256(bytes(version)), chainId, verifying));
        bytes32 structHash =
            keccak256(abi.encode(_CLAIM_TYPEHASH, account, recipient, cumulativeAmount, claimedBefore, deadline));
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    /// @notice Submits `c` (must succeed), then the same again in this transaction (must revert); returns
    ///         the first payout as seen in `claimed(account)` and the second attempt's revert data.
    function claimTwice(address settlement, Claim calldata c) external returns (uint256 claimedDelta, bytes memory secondRevert) {
        IClaimFor s = IClaimFor(settlement);
        uint256 before = s.claimed(c.account);
        s.claimFor(c.account, c.recipient, c.cumulativeAmount, c.proof, c.deadline, c.signature);
        claimedDelta = s.claimed(c.account) - before;
        try s.claimFor(c.account, c.recipient, c.cumulativeAmount, c.proof, c.deadline, c.signature) {
            revert UnexpectedSuccess();
        } catch (bytes memory data) {
            secondRevert = data;
        }
    }

    /// @notice The high-s twin of a 65-byte signature: `s' = n - s`, `v` flipped (27 <-> 28). Plain
    ///         `ecrecover` gives the same signer for both.
    function malleate(bytes calldata signature) public pure returns (bytes memory) {
        require(signature.length == 65, "65-byte signature");
        bytes32 r = bytes32(signature[0:32]);
        uint256 s = uint256(bytes32(signature[32:64]));
        uint8 v = uint8(signature[64]);
        return abi.encodePacked(r, bytes32(_N - s), v == 27 ? uint8(28) : uint8(27));
    }

    /// @notice The signer plain `ecrecover` finds for `digest` and `signature` (no malleability check).
    function plainRecover(bytes32 digest, bytes calldata signature) public pure returns (address) {
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        return ecrecover(digest, uint8(signature[64]), r, s);
    }

    /// @notice Submits `c` with its signature replaced by its high-s twin; returns the revert data (reverts
    ///         with `UnexpectedSuccess` when Settlement accepted it).
    function claimMalleated(address settlement, Claim calldata c) external returns (bytes memory revertData) {
        bytes memory twin = malleate(c.signature);
        try IClaimFor(settlement).claimFor(c.account, c.recipient, c.cumulativeAmount, c.proof, c.deadline, twin) {
            revert UnexpectedSuccess();
        } catch (bytes memory data) {
            revertData = data;
        }
    }
}
